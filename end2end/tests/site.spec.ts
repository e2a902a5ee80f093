// The Site page. Both projects: the tree of a system reads from the server, cells on demand
// included. Hydrated: inverter arrays, inverters and battery arrays are created through the
// page's forms (a broken rule shows beside its field), a battery array is attached and
// re-attached and its history shows both, a delete shows what goes with the row first, and a
// save that lost to someone else's says so.
// Every spec creates rows of its own with unique ids (the demo's structure may be the default
// one or a config.yaml), so no other spec's data or order matters.
import { test, expect, type APIRequestContext, type Page } from './fixtures';
import { hydrated, ready, uniqueName } from '../support';

/// The id of the system the page shows first (the first by id).
async function firstSystem(request: APIRequestContext): Promise<string> {
  const systems = await request.get('/api/v1/site/systems');
  expect(systems.status()).toBe(200);
  const list = (await systems.json()) as { id: string }[];
  expect(list.length).toBeGreaterThan(0);
  return list[0].id;
}

async function post(request: APIRequestContext, path: string, data: object) {
  const answer = await request.post(path, { data });
  expect(answer.status(), await answer.text()).toBeLessThan(300);
  return answer.json();
}

/// The card of the array whose heading names `name`.
const card = (page: Page, name: string) => page.getByRole('article', { name: new RegExp(name) });

test('the tree reads from the server, with each node\'s counts, adapters in order and cells on demand', async ({ page, request }) => {
  const system = await firstSystem(request);
  const [array, inverter, batteries, pack] = ['e2e_ia', 'e2e_inv', 'e2e_ba', 'e2e_pack'].map(uniqueName);
  await post(request, '/api/v1/site/inverter-arrays', { system_id: system, id: array, name: `Array ${array}` });
  await post(request, '/api/v1/site/inverters', { id: inverter, array_id: array, name: `Inverter ${inverter}`, model: 'PD-8K', phase_type: 'three' });
  await post(request, '/api/v1/site/battery-arrays', { system_id: system, id: batteries, name: `Batteries ${batteries}` });
  await post(request, '/api/v1/site/battery-packs', {
    id: pack, battery_array_id: batteries, name: `Pack ${pack}`, chemistry: 'LFP', nominal_kwh: 10.24,
    max_charge_kw: 5, max_discharge_kw: 6, batteries: 2, cells_per_battery: 16, cell_nominal_voltage: 3.2, adapters: [],
  });
  await post(request, `/api/v1/site/battery-arrays/${batteries}/attach`, { inverter_array_id: array });

  await page.goto(`/site?system=${system}`);
  await ready(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Site' })).toHaveAttribute('aria-current', 'page');
  for (const section of ['Inverter arrays', 'Battery arrays', 'Meters']) {
    await expect(page.getByRole('heading', { name: section, level: 2 })).toBeVisible();
  }
  const arrayCard = card(page, `Array ${array}`);
  await expect(arrayCard).toContainText('1 inverter');
  await expect(arrayCard).toContainText(`Batteries ${batteries}`);
  await expect(arrayCard.getByRole('row', { name: new RegExp(`Inverter ${inverter}`) })).toContainText('PD-8K');
  const batteryCard = card(page, `Batteries ${batteries}`);
  await expect(batteryCard).toContainText(`attached to Array ${array}`);
  await expect(batteryCard).toContainText('32 cells');
  const packRow = batteryCard.getByRole('row', { name: new RegExp(`Pack ${pack}`) });
  await expect(packRow).toContainText('10.24 kWh');
  await expect(packRow).toContainText('3.2 V');

  // The cells are listed on demand, from a link (no JavaScript needed).
  await packRow.getByRole('link', { name: `Cells of Pack ${pack}` }).click();
  await ready(page);
  const cells = page.getByRole('table', { name: `Batteries and cells of Pack ${pack}` });
  await expect(cells).toBeVisible();
  await expect(cells).toContainText(`${pack}_b1_c15`);
  await page.screenshot({ path: `end2end/screenshots/site-${test.info().project.name}.png`, fullPage: true });
});

test.describe('with JavaScript', () => {
  test.skip(() => !hydrated(), 'the forms are exercised hydrated');

  test('an inverter array and an inverter are created through the forms; a broken rule shows beside its field', async ({ page, request }) => {
    const system = await firstSystem(request);
    const [array, inverter] = ['e2e_ia', 'e2e_inv'].map(uniqueName);
    await page.goto(`/site?system=${system}`);
    await ready(page);

    await page.getByRole('link', { name: 'New inverter array' }).click();
    const newArray = page.getByRole('form', { name: 'New inverter array' });
    await newArray.getByLabel('Id').fill(array);
    await newArray.getByLabel('Name').fill(`Array ${array}`);
    await newArray.getByRole('button', { name: 'Create' }).click();
    await expect(newArray).toBeHidden();
    const arrayCard = card(page, `Array ${array}`);
    await expect(arrayCard).toContainText('0 inverters');

    await arrayCard.getByRole('link', { name: 'Add inverter' }).click();
    const newInverter = page.getByRole('form', { name: 'New inverter' });
    // An id another row holds is refused, and the form says so beside the Id.
    await newInverter.getByLabel('Id').fill(array);
    await newInverter.getByLabel('Name').fill(`Inverter ${inverter}`);
    await newInverter.getByRole('button', { name: 'Create' }).click();
    await expect(newInverter.locator('#new-inverter-id-error')).toContainText('already');
    await expect(newInverter.getByLabel('Id')).toHaveAttribute('aria-invalid', 'true');

    await newInverter.getByLabel('Id').fill(inverter);
    await newInverter.getByLabel('Model').fill('PD-8K');
    await newInverter.getByLabel('Phases').selectOption('three');
    await newInverter.getByRole('button', { name: 'Create' }).click();
    await expect(newInverter).toBeHidden();
    await expect(arrayCard).toContainText('1 inverter');
    await expect(arrayCard.getByRole('row', { name: new RegExp(`Inverter ${inverter}`) })).toContainText('three');
  });

  test('a battery array is attached, re-attached to another inverter array, and its history shows both', async ({ page, request }) => {
    const system = await firstSystem(request);
    const [first, second, batteries] = ['e2e_ia', 'e2e_ia', 'e2e_ba'].map(uniqueName);
    await post(request, '/api/v1/site/inverter-arrays', { system_id: system, id: first, name: `First ${first}` });
    await post(request, '/api/v1/site/inverter-arrays', { system_id: system, id: second, name: `Second ${second}` });
    await page.goto(`/site?system=${system}`);
    await ready(page);

    await page.getByRole('link', { name: 'New battery array' }).click();
    const newArray = page.getByRole('form', { name: 'New battery array' });
    await newArray.getByLabel('Id').fill(batteries);
    await newArray.getByLabel('Name').fill(`Batteries ${batteries}`);
    await newArray.getByRole('button', { name: 'Create' }).click();
    const batteryCard = card(page, `Batteries ${batteries}`);
    await expect(batteryCard).toContainText('not attached');

    for (const [target, button] of [[first, 'Attach'], [second, 'Re-attach']]) {
      await batteryCard.getByRole('link', { name: /^(Attach|Re-attach)…$/ }).click();
      const attach = page.getByRole('form', { name: 'Attach to an inverter array' });
      await attach.getByLabel('Inverter array').selectOption(target);
      await attach.getByRole('button', { name: button, exact: true }).click();
      await expect(attach).toBeHidden();
      await expect(batteryCard).toContainText(`attached to ${target === first ? 'First' : 'Second'} ${target}`);
    }
    await expect(card(page, `Second ${second}`)).toContainText(`Batteries ${batteries}`);

    const history = batteryCard.getByRole('list', { name: 'Attachment history' });
    await expect(history.getByRole('listitem')).toHaveCount(2);
    await expect(history.getByRole('listitem').first()).toContainText('attached');
    await expect(history.getByRole('listitem').first()).toContainText(second);
    await expect(history.getByRole('listitem').nth(1)).toContainText('ended');
    await expect(history.getByRole('listitem').nth(1)).toContainText(first);
    await page.screenshot({ path: 'end2end/screenshots/site-attached.png', fullPage: true });
  });

  test('a delete shows what goes with the row before it deletes', async ({ page, request }) => {
    const system = await firstSystem(request);
    const [array, inverter] = ['e2e_ia', 'e2e_inv'].map(uniqueName);
    await post(request, '/api/v1/site/inverter-arrays', { system_id: system, id: array, name: `Array ${array}` });
    await post(request, '/api/v1/site/inverters', { id: inverter, array_id: array, name: `Inverter ${inverter}` });
    await page.goto(`/site?system=${system}`);
    await ready(page);

    const arrayCard = card(page, `Array ${array}`);
    await arrayCard.getByRole('link', { name: 'Delete…' }).first().click();
    const confirm = page.getByRole('group', { name: 'Delete inverter array' });
    await expect(confirm).toContainText(`Delete inverter array ${array}?`);
    await expect(confirm).toContainText('removes 1 inverter');
    await confirm.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'end2end/screenshots/site-delete.png', fullPage: false });
    await confirm.getByRole('button', { name: 'Delete inverter array' }).click();
    await expect(arrayCard).toHaveCount(0);
  });

  test('a rename over someone else\'s change says so plainly and shows the current values', async ({ page, request }) => {
    const system = await firstSystem(request);
    const array = uniqueName('e2e_ia');
    await post(request, '/api/v1/site/inverter-arrays', { system_id: system, id: array, name: `Array ${array}` });
    await page.goto(`/site?system=${system}`);
    await ready(page);
    await card(page, `Array ${array}`).getByRole('link', { name: 'Rename' }).click();
    const form = page.getByRole('form', { name: `Edit inverter array ${array}` });
    await form.getByLabel('Name').fill(`Mine ${array}`);

    // Someone else renames it first, through the API.
    const preview = await (await request.get(`/api/v1/site/inverter-arrays/${array}/delete-preview`)).json();
    const theirs = await request.patch(`/api/v1/site/inverter-arrays/${array}`, {
      headers: { 'If-Match': `"${preview.version}"` },
      data: { name: `Theirs ${array}` },
    });
    expect(theirs.status()).toBe(200);

    await form.getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'Someone else changed this inverter array' });
    await expect(conflict).toBeVisible();
    await conflict.getByRole('button', { name: 'Show the current values' }).click();
    await expect(page.getByRole('form', { name: `Edit inverter array ${array}` }).getByLabel('Name')).toHaveValue(`Theirs ${array}`);
    await expect(card(page, `Theirs ${array}`)).toBeVisible();
  });
});
