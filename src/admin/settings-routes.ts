// Live settings: GET shows every value (never a secret's, only whether APP_API_KEY is set); POST
// validates every field first, then records the non-secret changes as one SettingsChanged event
// (applied at once, on every replica, and after a restart) and stores secrets as hashes, recording
// only that they changed.

import { scrubberOf } from '../logger';
import type { FastifyInstance } from 'fastify';
import { SECRET_CHANGED } from '../domain/evolve';
import { ApiError } from '../http/errors';
import type { Runtime } from '../runtime';
import { LIVE_BY_NAME, LIVE_SETTINGS, type LiveName, type LiveSetting, type LiveValues } from '../settings/settings-table';
import { intParam, invalid, objectBody } from './schemas';
import type { Sessions } from './session';

const SECRET_FIELDS = ['app_api_key', 'admin_password'] as const;
const READ_ONLY = ['app_api_key_set']; // accepted and ignored, so a GET's answer can be posted back
export const MIN_PASSWORD = 8;
const MAX_SECRET = 256;

type Changes = Partial<Record<LiveName, string | number>>;
interface Secrets { app_api_key?: string; admin_password?: string }

/** GET and POST /admin/settings answer this (the dashboard imports the type). */
export type SettingsView = LiveValues & { app_api_key_set: boolean };

/** The POST /admin/settings body: any live setting, a new secret, and the ignored `app_api_key_set`. */
export type SettingsChanges = Partial<Record<LiveName, string | number>> & Secrets & { app_api_key_set?: boolean };

export function settingsView(rt: Runtime): SettingsView {
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
      if (current[name as LiveName] === value) continue;
      changed[name] = value;
      previous[name] = current[name as LiveName];
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
      else if (LIVE_BY_NAME.has(name)) changes[name as LiveName] = setting(LIVE_BY_NAME.get(name)!, raw);
      else throw new Error(`${name} is not a setting; settings are ${[...LIVE_SETTINGS.map((l) => l.name), ...SECRET_FIELDS].join(', ')}`);
    } catch (err) {
      problems[name] = (err as Error).message;
    }
  }
  const bad = Object.keys(problems);
  if (bad.length) throw new ApiError('invalid_request', Object.values(problems).join('; '), { param: bad[0], fields: problems });
  return { changes, secrets };
}

/** A live setting is checked against the same type and range as its environment variable. */
export function setting(live: LiveSetting, raw: unknown): string | number {
  const { name, type } = live;
  switch (type.kind) {
    case 'int':
      return intParam(name, raw, type.min, type.max);
    case 'enum': {
      const v = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
      if (v === undefined || !type.values.includes(v)) throw invalid(name, `${name} must be one of ${type.values.join(', ')}`);
      return v;
    }
    case 'string': {
      const v = typeof raw === 'string' ? raw.trim() : undefined;
      const min = type.minLength ?? 0;
      const max = type.maxLength ?? 10_000;
      if (v === undefined || v.length < min || v.length > max) throw invalid(name, `${name} must be a ${min > 0 ? 'non-empty ' : ''}string of at most ${max} characters`);
      return v;
    }
    default:
      throw invalid(name, `${name} cannot be changed here`);
  }
}

function secret(name: 'app_api_key' | 'admin_password', raw: unknown): string {
  if (typeof raw !== 'string') throw new Error(`${name} must be a string`);
  if (raw.length > MAX_SECRET) throw new Error(`${name} must be at most ${MAX_SECRET} characters`);
  if (name === 'admin_password' && raw.length < MIN_PASSWORD) throw new Error(`admin_password must be at least ${MIN_PASSWORD} characters`);
  if (name === 'app_api_key' && raw !== '' && !/^[\x21-\x7e]+$/.test(raw)) throw new Error('app_api_key must be printable characters without spaces, or "" to turn the check off');
  return raw;
}
