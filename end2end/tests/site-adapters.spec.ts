// Adapters on the Site page, through the forms their types' JSON Schemas generate. Hydrated:
// an inverter gets an adapter with Test connection against the demo's simulator, a validation
// error appears as you type and blocks Save, each JSON Schema keyword the generator supports has
// its test (named after it), and a pack's adapters are added, disabled, ordered and deleted after
// a preview. Without JavaScript: an adapter is added by a plain POST of the same form.
// Every test creates rows of its own (unique ids), so no other spec's data matters.
import { test, expect, type APIRequestContext, type Locator, type Page } from './fixtures';
import { hydrated, ready, uniqueName } from '../support';

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

/// A new inverter array with one inverter; answers (system, array, inverter).
async function inverterOfOwn(request: APIRequestContext) {
  const system = await firstSystem(request);
  const [array, inverter] = ['e2e_aia', 'e2e_ainv'].map(uniqueName);
  await post(request, '/api/v1/site/inverter-arrays', { system_id: system, id: array, name: `Array ${array}` });
  await post(request, '/api/v1/site/inverters', { id: inverter, array_id: array, name: `Inverter ${inverter}` });
  return { system, array, inverter };
}

/// Opens the new-adapter form of an inverter from its row's Add adapter link, chooses `type`
/// with the type select, and waits until the form is usable.
async function openNewAdapter(page: Page, system: string, inverter: string, type: string): Promise<Locator> {
  await page.goto(`/site?system=${system}`);
  await ready(page);
  await page.getByRole('link', { name: `Add adapter to Inverter ${inverter}` }).click();
  await page.getByLabel('Adapter type').selectOption(type);
  await expect(page).toHaveURL(new RegExp(`type=${type}`));
  const form = page.getByRole('form', { name: `New adapter for Inverter ${inverter}` });
  await expect(form).toBeVisible();
  return form;
}

test.describe('hydrated', () => {
  test.skip(() => !hydrated(), 'typing and Test connection need the hydrated page');

  test('an inverter gets its adapter through the generated form, with Test connection against the simulator', async ({ page, request }) => {
    const { system, inverter } = await inverterOfOwn(request);
    await page.goto(`/site?system=${system}`);
    await ready(page);
    await page.getByRole('link', { name: `Add adapter to Inverter ${inverter}` }).click();
    const panel = page.getByRole('group', { name: `New adapter for Inverter ${inverter}` });
    await expect(panel).toBeVisible();
    // Only types that serve an inverter; the Bluetooth BMS serves batteries, so it is not here.
    const type = panel.getByLabel('Adapter type');
    await expect(type.locator('option[value="simulator_inverter"]')).toHaveCount(1);
    await expect(type.locator('option[value="simulator_bms"]')).toHaveCount(0);
    await type.selectOption('simulator_inverter');
    await expect(page).toHaveURL(/type=simulator_inverter/);
    const form = page.getByRole('form', { name: `New adapter for Inverter ${inverter}` });
    // The type's defaults: the simulator on 127.0.0.1:5020, unit 1.
    await expect(form.getByLabel('Host')).toHaveValue('127.0.0.1');
    await expect(form.getByLabel('TCP port')).toHaveValue('5020');
    await expect(form.getByLabel('Unit id')).toHaveValue('1');

    await form.getByRole('button', { name: 'Test connection' }).click();
    const test = form.getByRole('group', { name: 'Test connection' });
    const readings = test.getByRole('table', { name: 'Values read' });
    await expect(readings).toBeVisible({ timeout: 15_000 });
    // Values with their units, right-aligned.
    const pv = readings.getByRole('row', { name: /pv_power_w/ });
    await expect(pv.locator('td.num')).toHaveText(/^-?\d+(\.\d+)? W$/);
    await expect(readings.getByRole('row', { name: /battery_soc_pct/ }).locator('td.num')).toHaveText(/ %$/);

    await form.getByRole('button', { name: 'Create' }).click();
    await expect(form).toBeHidden();
    const row = page.getByRole('row', { name: new RegExp(`Inverter ${inverter}`) });
    await expect(row).toContainText('simulator_inverter');
    // One adapter per inverter: no second Add.
    await expect(page.getByRole('link', { name: `Add adapter to Inverter ${inverter}` })).toHaveCount(0);
  });

  test('Test connection says plainly when nothing answers', async ({ page, request }) => {
    const { system, inverter } = await inverterOfOwn(request);
    const form = await openNewAdapter(page, system, inverter, 'simulator_inverter');
    // A port nothing listens on.
    await form.getByLabel('TCP port').fill('9');
    await form.getByRole('button', { name: 'Test connection' }).click();
    const error = form.getByRole('group', { name: 'Test connection' }).getByRole('alert');
    await expect(error).toBeVisible({ timeout: 15_000 });
    await expect(error).not.toBeEmpty();
  });

  test('a validation error appears as you type, beside its field, and blocks Save', async ({ page, request }) => {
    const { system, inverter } = await inverterOfOwn(request);
    const form = await openNewAdapter(page, system, inverter, 'simulator_inverter');
    const save = form.getByRole('button', { name: 'Create' });
    await expect(save).toBeEnabled();
    const port = form.getByLabel('TCP port');
    await port.fill('70000');
    const portField = form.locator('[data-field="port"]');
    await expect(portField.locator('.field-error')).toContainText('maximum at /port');
    await expect(port).toHaveAttribute('aria-invalid', 'true');
    await expect(save).toBeDisabled();
    await expect(form.getByRole('button', { name: 'Test connection' })).toBeDisabled();
    await port.fill('5020');
    await expect(portField.locator('.field-error')).toBeEmpty();
    await expect(save).toBeEnabled();

    await form.getByLabel('Host').fill('not a host');
    await expect(form.locator('[data-field="host"] .field-error')).toContainText('pattern at /host');
    await expect(save).toBeDisabled();
    await form.getByLabel('Host').fill('');
    await expect(form.locator('[data-field="host"] .field-error')).toContainText('required at /host');
  });

  test.describe('JSON Schema keywords of the form generator', () => {
    // One form with every keyword the built-in types use: modbus_generic's.
    let form: Locator;
    test.beforeEach(async ({ page, request }) => {
      const { system, inverter } = await inverterOfOwn(request);
      form = await openNewAdapter(page, system, inverter, 'modbus_generic');
    });

    test('keyword enum: a select of its values', async () => {
      const parity = form.getByLabel('Parity');
      await form.getByLabel('Transport').selectOption('rtu');
      await expect(parity.locator('option')).toHaveText(['none', 'even', 'odd']);
      await expect(form.getByLabel('Baud rate').locator('option')).toHaveCount(8);
    });

    test('keyword minimum and maximum: the number input\'s limits', async () => {
      const unit = form.getByLabel('Unit id');
      await expect(unit).toHaveAttribute('type', 'number');
      await expect(unit).toHaveAttribute('min', '1');
      await expect(unit).toHaveAttribute('max', '247');
      await unit.fill('0');
      await expect(form.locator('[data-field="unit_id"] .field-error')).toContainText('minimum at /unit_id');
    });

    test('keyword minLength, maxLength and pattern: the text input\'s attributes', async () => {
      const host = form.getByLabel('Host');
      await expect(host).toHaveAttribute('minlength', '1');
      await expect(host).toHaveAttribute('maxlength', '253');
      await expect(host).toHaveAttribute('pattern', '^[A-Za-z0-9.:-]+$');
      await form.getByLabel('Transport').selectOption('rtu');
      await form.getByLabel('Serial port').fill('x');
      const error = form.locator('[data-field="serial_port"] .field-error');
      await expect(error).toContainText('minLength at /serial_port');
      await expect(error).toContainText('pattern at /serial_port');
    });

    test('keyword required: marked, and reported when left blank', async () => {
      await expect(form.locator('[data-field="unit_id"] .required-mark')).toBeVisible();
      await expect(form.locator('[data-field="port"] .required-mark')).toHaveCount(0);
      await form.getByLabel('Unit id').fill('');
      await expect(form.locator('[data-field="unit_id"] .field-error')).toContainText('required at /unit_id');
    });

    test('keyword default: the field starts with it', async () => {
      await expect(form.getByLabel('TCP port')).toHaveValue('502');
      await expect(form.getByLabel('Transport')).toHaveValue('tcp');
    });

    test('keyword title and description: the label and the help', async () => {
      const unit = form.locator('[data-field="unit_id"]');
      await expect(unit.locator('label')).toContainText('Unit id');
      await expect(unit.locator('.field-help')).toHaveText('Modbus unit (slave) id');
    });

    test('keyword if/then with const (allOf): the chosen transport shows and requires its own fields', async () => {
      await expect(form.getByLabel('Host')).toBeVisible();
      await expect(form.getByLabel('Serial port')).toBeHidden();
      await expect(form.locator('[data-field="host"] .required-mark')).toBeVisible();
      await form.getByLabel('Transport').selectOption('rtu');
      await expect(form.getByLabel('Host')).toBeHidden();
      await expect(form.getByLabel('TCP port')).toBeHidden();
      await expect(form.getByLabel('Serial port')).toBeVisible();
      await expect(form.getByLabel('Baud rate')).toBeVisible();
      await expect(form.locator('[data-field="serial_port"] .required-mark')).toBeVisible();
      await expect(form.locator('[data-field="serial_port"] .field-error')).toContainText('required at /serial_port');
    });

    test('keyword type array (and anything else without an input): a JSON editor validated as you type', async () => {
      const map = form.getByLabel(/Register map/);
      await expect(map).toHaveJSProperty('tagName', 'TEXTAREA');
      const error = form.locator('[data-field="register_map"] .field-error');
      await map.fill('[{');
      await expect(error).toContainText('json at /register_map');
      await map.fill('[{"quantity": "pv_power_w", "table": "input", "address": -1, "data_type": "u16"}]');
      await expect(error).toContainText('minimum at /register_map/0/address');
      await map.fill('[{"quantity": "pv_power_w", "table": "input", "address": 1, "data_type": "u16"}]');
      await expect(error).toBeEmpty();
      await expect(form.getByRole('button', { name: 'Create' })).toBeEnabled();
    });
  });

  test('a pack\'s adapters: added in failover order, disabled, reordered and deleted after a preview', async ({ page, request }) => {
    const system = await firstSystem(request);
    const [batteries, pack] = ['e2e_aba', 'e2e_apack'].map(uniqueName);
    await post(request, '/api/v1/site/battery-arrays', { system_id: system, id: batteries, name: `Batteries ${batteries}` });
    await post(request, '/api/v1/site/battery-packs', {
      id: pack, battery_array_id: batteries, name: `Pack ${pack}`, batteries: 1, cells_per_battery: 16, adapters: [],
    });
    for (const n of [1, 2]) {
      await page.goto(`/site?system=${system}`);
      await ready(page);
      await page.getByRole('link', { name: `Add adapter to Pack ${pack}` }).click();
      await page.getByLabel('Adapter type').selectOption('simulator_bms');
      const form = page.getByRole('form', { name: `New adapter for Pack ${pack}` });
      // Types serving batteries; the Bluetooth one is listed but cannot be chosen.
      const ble = page.getByLabel('Adapter type').locator('option[value="jkbms_ble"]');
      await expect(ble).toBeDisabled();
      await expect(ble).toContainText('not drivable in this build: Bluetooth');
      await expect(form.getByLabel(/Priority/)).toHaveValue(String(n));
      await form.getByRole('button', { name: 'Create' }).click();
      await expect(form).toBeHidden();
    }
    const row = page.getByRole('row', { name: new RegExp(`Pack ${pack}`) });
    await expect(row).toContainText(/1st simulator_bms.*2nd simulator_bms/);

    // The primary is disabled and moved behind the other.
    await row.getByRole('link', { name: `Edit adapter ${pack}_adapter`, exact: true }).click();
    const edit = page.getByRole('form', { name: `Edit adapter ${pack}_adapter` });
    await edit.getByLabel('Enabled').uncheck();
    await edit.getByLabel(/Priority/).fill('3');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(edit).toBeHidden();
    await expect(row).toContainText(/1st simulator_bms Edit.*2nd simulator_bms \(off\)/);

    await row.getByRole('link', { name: `Delete adapter ${pack}_adapter_2` }).click();
    const confirm = page.getByRole('group', { name: 'Delete adapter' });
    await expect(confirm).toContainText(`Delete adapter ${pack}_adapter_2?`);
    await expect(confirm).toContainText('removes 1 pack adapter link');
    await confirm.getByRole('button', { name: 'Delete adapter' }).click();
    await expect(confirm).toBeHidden();
    await expect(row).not.toContainText('2nd');
  });
});

// The adapter form opened from its URL, without JavaScript: the type is chosen by a GET form, the
// settings are posted, and the server's validator answers beside the field.
test('without JavaScript, an adapter is added by posting the generated form', async ({ page, request }) => {
  test.skip(hydrated(), 'the hydrated tests cover the same form');
  const { system, inverter } = await inverterOfOwn(request);
  // The type is chosen by a plain GET form.
  await page.goto(`/site?system=${system}&new=adapter&in=inverter:${inverter}`);
  await ready(page);
  await page.getByLabel('Adapter type').selectOption('simulator_inverter');
  await page.getByRole('button', { name: 'Show its settings' }).click();
  await ready(page);
  const form = page.getByRole('form', { name: `New adapter for Inverter ${inverter}` });
  await expect(form.getByLabel('Host')).toHaveValue('127.0.0.1');
  // The server's validator answers beside the field.
  await form.getByLabel('TCP port').fill('0');
  await form.getByRole('button', { name: 'Create' }).click();
  await ready(page);
  await expect(page.locator('[data-field="port"] .field-error')).toContainText('minimum at /port');
  const again = page.getByRole('form', { name: `New adapter for Inverter ${inverter}` });
  await again.getByLabel('TCP port').fill('5020');
  await again.getByRole('button', { name: 'Create' }).click();
  await ready(page);
  await expect(page.getByRole('row', { name: new RegExp(`Inverter ${inverter}`) })).toContainText('simulator_inverter');
});
