import { bodyProblem } from './message-body';

describe('bodyProblem', () => {
  it.each([
    ['U+202A left-to-right embedding', '\u202a'],
    ['U+202B right-to-left embedding', '\u202b'],
    ['U+202C pop directional formatting', '\u202c'],
    ['U+202D left-to-right override', '\u202d'],
    ['U+202E right-to-left override', '\u202e'],
    ['U+2066 left-to-right isolate', '\u2066'],
    ['U+2067 right-to-left isolate', '\u2067'],
    ['U+2068 first strong isolate', '\u2068'],
    ['U+2069 pop directional isolate', '\u2069'],
  ])('refuses %s inside a body', (_name, control) => {
    expect(bodyProblem(`dose ${control}10 mg${control} daily`)).toBe('body must not contain bidirectional override or isolate characters');
  });

  it('refuses the reordering attack of the review', () => {
    expect(bodyProblem('pay \u202eKCATTA\u202c now')).not.toBeNull();
  });

  it('keeps the marks LRM and RLM, right-to-left text, and emoji sequences with joiners and flags', () => {
    expect(bodyProblem('Hebrew \u200fשלום\u200f and \u200eEnglish\u200e')).toBeNull();
    expect(bodyProblem('مرحبا, see you at 10')).toBeNull();
    expect(bodyProblem('family 👩‍👩‍👧 flag 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ok 👍🏽')).toBeNull();
  });
});
