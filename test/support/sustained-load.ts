import { HttpAnswer } from './identity';

export interface SustainedLoad {
  /** The longest time without a single answer: from the start, between answers, or until the end of the run. */
  longestSilenceMs: number;
  statuses: Map<number, number>;
  /** Requests that had not answered within the per-request limit. */
  unanswered: number;
  answered: number;
}

export interface LoadShape {
  concurrency: number;
  durationMs: number;
  /** A request still open this long counts as unanswered (a wedged pool answers nothing, so nothing else ends it). */
  answerWithinMs: number;
}

const NO_ANSWER = Symbol('no answer');

/**
 * Keeps `concurrency` requests in flight for `durationMs` (a closed loop: each worker sends its next request when
 * its last one answers), recording the longest time without any answer: a wedged pool answers nothing for as long
 * as it stays wedged, while a slow machine only stretches the time between answers.
 */
export async function sustain(shape: LoadShape, request: (worker: number, n: number) => Promise<HttpAnswer>): Promise<SustainedLoad> {
  const started = Date.now();
  const statuses = new Map<number, number>();
  let unanswered = 0;
  let answered = 0;
  let lastAnswerAt = started;
  let longestSilenceMs = 0;
  const worker = async (index: number): Promise<void> => {
    for (let n = 0; Date.now() - started < shape.durationMs; n += 1) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<typeof NO_ANSWER>((resolve) => { timer = setTimeout(() => resolve(NO_ANSWER), shape.answerWithinMs); });
      const outcome = await Promise.race([request(index, n), limit]);
      clearTimeout(timer);
      if (outcome === NO_ANSWER) {
        unanswered += 1;
        return;
      }
      answered += 1;
      const now = Date.now();
      longestSilenceMs = Math.max(longestSilenceMs, now - lastAnswerAt);
      lastAnswerAt = now;
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, (_, index) => worker(index)));
  longestSilenceMs = Math.max(longestSilenceMs, Math.min(Date.now(), started + shape.durationMs) - lastAnswerAt);
  return { longestSilenceMs, statuses, unanswered, answered };
}
