// Requests through the proxy as an API client sends them: how the tests make keys succeed or fail
// (with the mock OpenRouter answering for each key) instead of writing outcomes into the runtime.

import { request } from 'undici';
import type { MockUpstream } from './mock-upstream';

/** A paid model: a key's own 429 cools the whole key (a `:free` model would rest it for free models only). */
export const PAID_MODEL = 'openai/gpt-4o-mini';

export interface ProxyAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

/** POST /v1/chat/completions with `body` (default: a short paid-model chat). */
export async function chat(base: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<ProxyAnswer> {
  const res = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: PAID_MODEL, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/**
 * Sends chats until the mock has seen a request with each of `secrets` (the pool picks keys at
 * random, so a given key is tried sooner or later). Returns the answers. Fails after `max` requests.
 */
export async function chatUntilTried(base: string, up: MockUpstream, secrets: readonly string[], max = 2000, body: Record<string, unknown> = {}): Promise<ProxyAnswer[]> {
  const answers: ProxyAnswer[] = [];
  while (!secrets.every((s) => up.inferenceCallsFor(s).length > 0)) {
    if (answers.length >= max) throw new Error(`chatUntilTried: ${max} requests and not every key was tried`);
    answers.push(await chat(base, body));
  }
  return answers;
}
