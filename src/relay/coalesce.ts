/**
 * Requests gathered for a short window and run as one call, each caller
 * getting its own answer: many small Redis scripts cost far more than one
 * larger one (each call has a fixed cost in Redis and in the client).
 */
export type Coalescer<Request, Answer> = {
  /** Queues `request`; resolves with its answer once its batch has run. */
  call(request: Request): Promise<Answer>;
  /** Runs whatever is queued now; resolves when every batch started so far has settled. */
  flush(): Promise<void>;
};

type Waiting<Request, Answer> = {
  readonly request: Request;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: unknown) => void;
};

export type CoalesceOptions<Request> = {
  /** How long the first request of a batch waits for others. */
  readonly windowMs: number;
  /** A batch this large runs at once. */
  readonly maxWeight: number;
  /** What a request adds to its batch's weight. */
  readonly weightOf: (request: Request) => number;
};

/**
 * `runBatch` gets the requests in arrival order and must answer once per
 * request, in that order; when it fails, or answers a different count, every
 * request of the batch fails with that error.
 */
export function coalesce<Request, Answer>(
  runBatch: (requests: readonly Request[]) => Promise<readonly Answer[]>,
  options: CoalesceOptions<Request>,
): Coalescer<Request, Answer> {
  let queued: Waiting<Request, Answer>[] = [];
  let weight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const running = new Set<Promise<void>>();

  const start = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = queued;
    queued = [];
    weight = 0;
    if (batch.length === 0) return;
    const settled = runBatch(batch.map((waiting) => waiting.request)).then(
      (answers) => {
        if (answers.length !== batch.length) {
          const error = new Error(`coalesce: ${answers.length} answers for ${batch.length} requests`);
          for (const waiting of batch) waiting.reject(error);
          return;
        }
        batch.forEach((waiting, i) => waiting.resolve(answers[i]!));
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
    running.add(settled);
    void settled.then(() => running.delete(settled));
  };

  return {
    call: (request) =>
      new Promise<Answer>((resolve, reject) => {
        queued.push({ request, resolve, reject });
        weight += options.weightOf(request);
        if (weight >= options.maxWeight) start();
        else timer ??= setTimeout(start, options.windowMs);
      }),
    flush: async () => {
      start();
      await Promise.all(running);
    },
  };
}
