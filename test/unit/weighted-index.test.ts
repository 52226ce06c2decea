import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom, WeightedIndex } from '../../src/domain/weighted-index';

const N = 100_000;

/** Each count lies within 5 standard deviations of N·p (binomial): a false alarm is below 1e-6. */
function assertFrequencies(counts: Map<string, number>, weights: Record<string, number>, picks: number) {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  for (const [id, w] of Object.entries(weights)) {
    const p = w / total;
    const expected = picks * p;
    const sigma = Math.sqrt(picks * p * (1 - p));
    const got = counts.get(id) ?? 0;
    assert.ok(Math.abs(got - expected) <= 5 * sigma, `${id}: ${got} picks, expected ${expected.toFixed(0)} ± ${(5 * sigma).toFixed(0)}`);
  }
}

function tally(index: WeightedIndex, picks: number, seed: number, exclude?: string[]) {
  const random = seededRandom(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const id = index.pick(random, exclude);
    if (id === null) throw new Error('nothing picked');
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('pick frequencies follow the weights over 100,000 picks (fixed seed)', () => {
  const weights: Record<string, number> = { a: 1, b: 3, c: 10, d: 1000, e: 7 };
  const index = new WeightedIndex(2); // small start: growth must keep the sums right
  for (const [id, w] of Object.entries(weights)) index.set(id, w);
  assert.is(index.total, 1021);
  assertFrequencies(tally(index, N, 42), weights, N);
});

test('1:3 weights give about 1:3', () => {
  const index = new WeightedIndex();
  index.set('k1', 1);
  index.set('k2', 3);
  const counts = tally(index, N, 7);
  assertFrequencies(counts, { k1: 1, k2: 3 }, N);
});

test('excluded keys are never picked and the rest keep their proportions', () => {
  const index = new WeightedIndex();
  const weights: Record<string, number> = { a: 5, b: 1, c: 2, d: 2 };
  for (const [id, w] of Object.entries(weights)) index.set(id, w);
  const counts = tally(index, N, 3, ['a', 'c']);
  assert.is(counts.get('a'), undefined);
  assert.is(counts.get('c'), undefined);
  assertFrequencies(counts, { b: 1, d: 2 }, N);
  assert.is(index.total, 10, 'exclusions are undone after the pick');
});

test('excluding a light key (redraw path) keeps the others in proportion and never returns it', () => {
  const index = new WeightedIndex();
  const weights: Record<string, number> = { a: 5, b: 1, c: 2, d: 2 };
  for (const [id, w] of Object.entries(weights)) index.set(id, w);
  const counts = tally(index, N, 8, ['b']);
  assert.is(counts.get('b'), undefined);
  assertFrequencies(counts, { a: 5, c: 2, d: 2 }, N);
});

test('keys set to weight 0 or deleted are never picked; slots are reused', () => {
  const index = new WeightedIndex(4);
  for (let i = 0; i < 50; i++) index.set(`k${i}`, 1 + (i % 4));
  for (let i = 0; i < 50; i += 2) index.set(`k${i}`, 0);
  for (let i = 1; i < 50; i += 4) index.delete(`k${i}`);
  const counts = tally(index, 20_000, 11);
  for (const id of counts.keys()) {
    const n = Number(id.slice(1));
    assert.ok(n % 2 === 1 && n % 4 !== 1, `${id} should not be pickable`);
  }
  for (let i = 100; i < 120; i++) index.set(`k${i}`, 1);
  assert.is(index.size, 12 + 20);
});

test('an empty index, or one whose every key is excluded, picks nothing', () => {
  const index = new WeightedIndex();
  assert.is(index.pick(Math.random), null);
  index.set('a', 1);
  assert.is(index.pick(Math.random, ['a']), null);
  assert.is(index.pick(() => 0.999999), 'a');
});

test('changing a weight moves the proportions', () => {
  const index = new WeightedIndex();
  index.set('a', 1);
  index.set('b', 1);
  index.set('a', 9);
  assertFrequencies(tally(index, N, 5), { a: 9, b: 1 }, N);
});

test('many keys: sums stay exact through growth and churn', () => {
  const index = new WeightedIndex(1);
  const random = seededRandom(1);
  const expected = new Map<string, number>();
  for (let i = 0; i < 5000; i++) {
    const id = `k${Math.floor(random() * 2000)}`;
    const w = random() < 0.2 ? 0 : 1 + Math.floor(random() * 1000);
    index.set(id, w);
    if (w === 0) expected.delete(id); else expected.set(id, w);
  }
  const sum = [...expected.values()].reduce((a, b) => a + b, 0);
  assert.is(index.total, sum);
  for (const [id, w] of expected) assert.is(index.weightOf(id), w);
});

test.run();
