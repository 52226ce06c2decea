// Every protocol the proxy serves; routes.ts registers each under /v1 and /api/v1.

import { chatCompletions, completions, embeddings } from './chat';
import { messages } from './messages';
import type { Protocol } from './protocol';
import { responses } from './responses';

export const PROTOCOLS: readonly Protocol[] = [chatCompletions, completions, embeddings, messages, responses];

export type { Protocol } from './protocol';
