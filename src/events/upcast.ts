// Upcasters: rows written by an older version of the service, brought to today's payload shape
// before they are checked and folded, so the fold only ever sees one shape per event type. Each
// one fills what the older writer did not record, from what it did (never a guess that changes
// the folded state). Rows already in today's shape pass through untouched.

import type { EventType } from './types';

type D = Record<string, unknown>;
type Upcaster = (d: D, at: number) => D;

const UPCASTERS: Partial<Record<EventType, Upcaster>> = {
  // Before the key table showed a suffix, KeyAdded carried only the mask (`sk-or-v1-ab…wxyz`).
  KeyAdded: (d) => ('suffix' in d ? d : { ...d, suffix: suffixOfMask(d.masked) }),
  // Cooldowns recorded only their end; the length is what the history shows.
  KeyCooled: (d, at) => ('seconds' in d || typeof d.until !== 'number' ? d : { ...d, seconds: Math.max(0, Math.round((d.until - at) / 1000)) }),
  // Early failures carried no status or reason (network errors were the only kind without a status).
  KeyFailed: (d) => ('status' in d && 'reason' in d ? d : { status: null, reason: '', ...d }),
  KeyProbed: (d) => ('detail' in d && 'status' in d ? d : { status: null, detail: '', ...d }),
  // A weight change that did not say what it replaced: the previous weight is unknown, shown as the new one.
  KeyWeightChanged: (d) => ('previous' in d ? d : { ...d, previous: d.weight }),
};

export function upcast(type: EventType, data: D, at: number): D {
  const up = UPCASTERS[type];
  return up ? up(data, at) : data;
}

function suffixOfMask(masked: unknown): string {
  if (typeof masked !== 'string') return '';
  const cut = masked.lastIndexOf('…');
  const tail = cut === -1 ? '' : masked.slice(cut + 1);
  return tail.length === 4 ? tail : '';
}
