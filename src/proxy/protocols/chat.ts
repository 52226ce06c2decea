// OpenAI chat completions, legacy completions and embeddings: Bearer key, OpenAI error body, data
// lines ending in `data: [DONE]`, an error chunk `{"error":{…}}` the OpenAI SDK raises on.

import { errorBody, type ErrorCode } from '../../http/errors';
import { chatInBand } from '../classify-response';
import { bearerToken, set, type Protocol, type StreamRules } from './protocol';

const NONE = set();

export const chatStream: StreamRules = {
  framing: 'lines', preamble: NONE, errors: NONE, done: NONE, trailer: '',
  inBand: chatInBand,
  failEvent: (message, type, code) => `data: ${JSON.stringify({ error: { message, type, code } })}\n\n`,
  relayError: (block) => block,
};

function openAi(name: Protocol['name'], route: string, streams: boolean): Protocol {
  return {
    name, route, upstreamPath: route, streams, passHeaders: [],
    clientKey: (h) => bearerToken(h.authorization),
    errorBody: (code: ErrorCode, message: string) => errorBody(code, message),
    upstreamErrorBody: () => null,
    inBand: chatInBand,
    sse: chatStream,
  };
}

export const chatCompletions = openAi('chat', '/chat/completions', true);
export const completions = openAi('completions', '/completions', true);
export const embeddings = openAi('embeddings', '/embeddings', false);
