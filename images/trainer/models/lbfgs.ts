// Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives such
// as the logistic loss.

export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when every gradient component is at most this in absolute value. */
  gradientTolerance: number;
  memory?: number;
  onIteration?: (iteration: number, value: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

export function minimize(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = objective(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const direction = new Float64Array(n);
  const xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iteration = 0;
  let converged = maxAbs(g) <= options.gradientTolerance;
  while (!converged && iteration < options.maxIterations) {
    // Two-loop recursion: direction = -H·g.
    direction.set(g);
    for (let i = s.length - 1; i >= 0; i--) {
      const a = (rho[i] as number) * dot(s[i] as Float64Array, direction);
      alpha[i] = a;
      const yi = y[i] as Float64Array;
      for (let j = 0; j < n; j++) direction[j] = (direction[j] as number) - a * (yi[j] as number);
    }
    const last = s.length - 1;
    const gamma =
      last >= 0
        ? dot(s[last] as Float64Array, y[last] as Float64Array) /
          dot(y[last] as Float64Array, y[last] as Float64Array)
        : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let j = 0; j < n; j++) direction[j] = (direction[j] as number) * gamma;
    for (let i = 0; i < s.length; i++) {
      const b = (rho[i] as number) * dot(y[i] as Float64Array, direction);
      const si = s[i] as Float64Array;
      const a = alpha[i] as number;
      for (let j = 0; j < n; j++) direction[j] = (direction[j] as number) + (a - b) * (si[j] as number);
    }
    for (let j = 0; j < n; j++) direction[j] = -(direction[j] as number);
    let slope = dot(g, direction);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let j = 0; j < n; j++) direction[j] = -(g[j] as number);
      slope = dot(g, direction);
    }
    let step = 1;
    let fNew = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < n; j++) xNew[j] = (x[j] as number) + step * (direction[j] as number);
      fNew = objective(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= f)) break; // no progress possible at machine precision
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      sk[j] = (xNew[j] as number) - (x[j] as number);
      yk[j] = (gNew[j] as number) - (g[j] as number);
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const relativeDecrease = (f - fNew) / Math.max(Math.abs(f), Math.abs(fNew), 1);
    x = Float64Array.from(xNew);
    [g, gNew] = [gNew, g];
    f = fNew;
    iteration++;
    options.onIteration?.(iteration, f);
    converged = maxAbs(g) <= options.gradientTolerance || relativeDecrease < 1e-12;
  }
  return { x, value: f, iterations: iteration, converged };
}
