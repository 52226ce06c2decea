// Live settings: GET shows every value (never a secret's, only whether APP_API_KEY is set); POST
// validates every field first, then records the non-secret changes as one SettingsChanged event
// (applied at once, on every replica, and after a restart) and stores secrets as hashes, recording
// only that they changed.

import { scrubberOf } from '../logger';
import type { FastifyInstance } from 'fastify';
import { CONFIG_SPEC, LOG_LEVELS } from '../config';
import { SECRET_CHANGED } from '../domain/evolve';
import { ApiError } from '../http/errors';
import type { Runtime } from '../runtime';
import { LIVE_SETTINGS, type LiveSettingName } from '../settings/live-settings';
import { intParam, objectBody } from './schemas';
import type { Sessions } from './session';

const SECRET_FIELDS = ['app_api_key', 'admin_password'] as const;
const READ_ONLY = ['app_api_key_set']; // accepted and ignored, so a GET's answer can be posted back
export const MIN_PASSWORD = 8;
const MAX_SECRET = 256;

type Changes = Partial<Record<LiveSettingName, string | number>>;
interface Secrets { app_api_key?: string; admin_password?: string }

export function settingsView(rt: Runtime) {
  return { ...rt.settings.all(), app_api_key_set: rt.secretSettings.appApiKeySet };
}

export function settingsRoutes(app: FastifyInstance, rt: Runtime, sessions: Sessions): void {
  app.get('/settings', async () => settingsView(rt));

  app.post('/settings', async (req) => {
    const { changes, secrets } = validate(objectBody(req.body));
    const current = rt.settings.all();
    const changed: Record<string, unknown> = {};
    const previous: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(changes)) {
      if (current[name as LiveSettingName] === value) continue;
      changed[name] = value;
      previous[name] = current[name as LiveSettingName];
    }
    const scrubber = scrubberOf(rt.log); // the logs must never show a secret set here either
    if (secrets.app_api_key !== undefined) {
      if (secrets.app_api_key) scrubber?.add(secrets.app_api_key);
      await rt.secretSettings.setAppApiKey(secrets.app_api_key);
      changed.app_api_key = SECRET_CHANGED;
    }
    if (secrets.admin_password !== undefined) {
      scrubber?.add(secrets.admin_password);
      await rt.secretSettings.setAdminPassword(secrets.admin_password);
      changed.admin_password = SECRET_CHANGED;
      // A new password ends every other session; this one stays open.
      if (req.adminSid) await sessions.store.closeOthers(req.adminSid);
    }
    if (Object.keys(changed).length) {
      const at = Date.now();
      await rt.projection.command(() => ({ events: [{ type: 'SettingsChanged', at, key_id: null, actor: 'admin', data: { changes: changed, previous } }], result: null }));
      req.log.info({ settings: Object.keys(changed) }, 'admin changed settings');
    }
    return settingsView(rt);
  });
}

/** Every field is checked before anything is applied; the 400 names each bad field. */
function validate(body: Record<string, unknown>): { changes: Changes; secrets: Secrets } {
  const changes: Changes = {};
  const secrets: Secrets = {};
  const problems: Record<string, string> = {};
  for (const [name, raw] of Object.entries(body)) {
    try {
      if (READ_ONLY.includes(name)) continue;
      if (name === 'app_api_key' || name === 'admin_password') secrets[name] = secret(name, raw);
      else if (name in LIVE_SETTINGS) changes[name as LiveSettingName] = setting(name as LiveSettingName, raw);
      else throw new Error(`${name} is not a setting; settings are ${[...Object.keys(LIVE_SETTINGS), ...SECRET_FIELDS].join(', ')}`);
    } catch (err) {
      problems[name] = (err as Error).message;
    }
  }
  const bad = Object.keys(problems);
  if (bad.length) throw new ApiError('invalid_request', Object.values(problems).join('; '), { param: bad[0], fields: problems });
  return { changes, secrets };
}

function setting(name: LiveSettingName, raw: unknown): string | number {
  if (name === 'default_model') {
    if (typeof raw !== 'string' || raw.trim() === '' || raw.trim().length > 200) throw new Error('default_model must be a non-empty string of at most 200 characters');
    return raw.trim();
  }
  if (name === 'log_level') {
    if (typeof raw !== 'string' || !(LOG_LEVELS as readonly string[]).includes(raw.trim().toLowerCase())) throw new Error(`log_level must be one of ${LOG_LEVELS.join(', ')}`);
    return raw.trim().toLowerCase();
  }
  // Integers share their range with the environment variable of the same name.
  const spec = CONFIG_SPEC.find((s) => s.name === name.toUpperCase());
  if (!spec || spec.type.kind !== 'int') throw new Error(`${name} cannot be changed here`);
  return intParam(name, raw, spec.type.min, spec.type.max);
}

function secret(name: 'app_api_key' | 'admin_password', raw: unknown): string {
  if (typeof raw !== 'string') throw new Error(`${name} must be a string`);
  if (raw.length > MAX_SECRET) throw new Error(`${name} must be at most ${MAX_SECRET} characters`);
  if (name === 'admin_password' && raw.length < MIN_PASSWORD) throw new Error(`admin_password must be at least ${MIN_PASSWORD} characters`);
  if (name === 'app_api_key' && raw !== '' && !/^[\x21-\x7e]+$/.test(raw)) throw new Error('app_api_key must be printable characters without spaces, or "" to turn the check off');
  return raw;
}
