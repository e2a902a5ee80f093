// Signs in once through the console's login form (as the demo "engineer", who may do everything
// the specs do but manage users) and keeps the session cookie for every page of every spec. The
// form is posted with the console's own Origin, as a browser posts it.
import { request, type FullConfig } from '@playwright/test';

export const SESSION_STATE = `${__dirname}/.auth/engineer.json`;

export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL as string;
  const context = await request.newContext({ baseURL });
  const answer = await context.post('/login', {
    form: { name: 'engineer', password: 'engineer-demo-pass', next: '/' },
    headers: { Origin: new URL(baseURL).origin },
    maxRedirects: 0,
  });
  const cookies = (await context.storageState()).cookies;
  if (answer.status() !== 303 || !cookies.some((c) => c.name === 'powerdeck_session')) {
    throw new Error(`signing in as engineer failed: ${answer.status()} ${answer.headers().location}`);
  }
  await context.storageState({ path: SESSION_STATE });
  await context.dispose();
}
