// Linear models on encoded features: (multinomial) logistic regression fitted with L-BFGS, and
// ridge regression solved exactly through the normal equations.
import { minimize } from './lbfgs.ts';

export interface LinearModel {
  /** Row-major [d × k]; k = 1 for binary classification and regression. Float32-representable. */
  weights: Float64Array;
  bias: Float64Array;
  d: number;
  k: number;
}

export interface LogisticOptions {
  /** Inverse regularisation strength, as in scikit-learn. */
  C: number;
  maxIterations: number;
  tolerance: number;
  onIteration?: (iteration: number, loss: number) => void;
}

function roundToFloat32(model: LinearModel): LinearModel {
  return { ...model, weights: model.weights.map(Math.fround), bias: model.bias.map(Math.fround) };
}

/**
 * Minimises mean log loss + ||W||² / (2·C·n), the objective of scikit-learn's LogisticRegression;
 * binary problems use one weight vector, more classes a softmax over one vector per class.
 */
export function fitLogistic(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  classes: number,
  options: LogisticOptions,
): LinearModel & { iterations: number; converged: boolean } {
  const k = classes === 2 ? 1 : classes;
  const lambda = 1 / (options.C * n);
  const z = new Float64Array(k);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bias = d * k;
    if (k === 1) {
      const b = theta[bias] as number;
      let gb = 0;
      for (let i = 0, base = 0; i < n; i++, base += d) {
        let s = b;
        for (let j = 0; j < d; j++) s += (x[base + j] as number) * (theta[j] as number);
        const yi = y[i] as number;
        // log(1 + e^s) - y·s, computed without overflow.
        loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - yi * s;
        const r = 1 / (1 + Math.exp(-s)) - yi;
        gb += r;
        for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + r * (x[base + j] as number);
      }
      grad[bias] = gb;
    } else {
      for (let i = 0, base = 0; i < n; i++, base += d) {
        for (let c = 0; c < k; c++) z[c] = theta[bias + c] as number;
        for (let j = 0; j < d; j++) {
          const xj = x[base + j] as number;
          if (xj === 0) continue;
          const row = j * k;
          for (let c = 0; c < k; c++) z[c] = (z[c] as number) + xj * (theta[row + c] as number);
        }
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, z[c] as number);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += z[c] = Math.exp((z[c] as number) - max);
        const yi = y[i] as number;
        loss += Math.log(sum) - Math.log(z[yi] as number);
        for (let c = 0; c < k; c++) z[c] = (z[c] as number) / sum - (c === yi ? 1 : 0);
        for (let j = 0; j < d; j++) {
          const xj = x[base + j] as number;
          if (xj === 0) continue;
          const row = j * k;
          for (let c = 0; c < k; c++) grad[row + c] = (grad[row + c] as number) + xj * (z[c] as number);
        }
        for (let c = 0; c < k; c++) grad[bias + c] = (grad[bias + c] as number) + (z[c] as number);
      }
    }
    let penalty = 0;
    for (let j = 0; j < bias; j++) {
      const w = theta[j] as number;
      penalty += w * w;
      grad[j] = (grad[j] as number) / n + lambda * w;
    }
    for (let c = 0; c < k; c++) grad[bias + c] = (grad[bias + c] as number) / n;
    return loss / n + 0.5 * lambda * penalty;
  };
  const result = minimize(objective, new Float64Array((d + 1) * k), {
    maxIterations: options.maxIterations,
    gradientTolerance: options.tolerance,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  });
  const model = roundToFloat32({
    weights: result.x.slice(0, d * k),
    bias: result.x.slice(d * k),
    d,
    k,
  });
  return { ...model, iterations: result.iterations, converged: result.converged };
}

/** Minimises ||y - Xw - b||² + alpha·||w||² (scikit-learn's Ridge) by a Cholesky solve. */
export function fitRidge(x: Float32Array, n: number, d: number, y: Float64Array, alpha: number): LinearModel {
  const m = d + 1; // the last unknown is the unpenalised intercept
  const a = new Float64Array(m * m);
  const rhs = new Float64Array(m);
  const row = new Float64Array(m);
  row[d] = 1;
  for (let i = 0, base = 0; i < n; i++, base += d) {
    for (let j = 0; j < d; j++) row[j] = x[base + j] as number;
    const yi = y[i] as number;
    for (let j = 0; j < m; j++) {
      const xj = row[j] as number;
      if (xj === 0) continue;
      rhs[j] = (rhs[j] as number) + xj * yi;
      const off = j * m;
      for (let l = j; l < m; l++) a[off + l] = (a[off + l] as number) + xj * (row[l] as number);
    }
  }
  for (let j = 0; j < m; j++) for (let l = 0; l < j; l++) a[j * m + l] = a[l * m + j] as number;
  // A tiny ridge keeps exactly collinear columns (e.g. a full one-hot block) solvable when alpha = 0.
  for (let j = 0; j < d; j++) a[j * m + j] = (a[j * m + j] as number) + Math.max(alpha, 1e-9 * n);
  const solution = choleskySolve(a, rhs, m);
  return roundToFloat32({ weights: solution.slice(0, d), bias: solution.slice(d), d, k: 1 });
}

/** Solves A·x = b for a symmetric positive definite A (row-major m × m). */
export function choleskySolve(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j] as number;
      for (let p = 0; p < j; p++) sum -= (l[i * m + p] as number) * (l[j * m + p] as number);
      if (i === j) l[i * m + i] = Math.sqrt(Math.max(sum, 1e-300));
      else l[i * m + j] = sum / (l[j * m + j] as number);
    }
  }
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i] as number;
    for (let p = 0; p < i; p++) sum -= (l[i * m + p] as number) * (z[p] as number);
    z[i] = sum / (l[i * m + i] as number);
  }
  const out = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let sum = z[i] as number;
    for (let p = i + 1; p < m; p++) sum -= (l[p * m + i] as number) * (out[p] as number);
    out[i] = sum / (l[i * m + i] as number);
  }
  return out;
}

/** Raw scores [n × k] of a linear model, in the graph's order of operations. */
export function linearScores(model: LinearModel, x: Float32Array, n: number): Float64Array {
  const { d, k, weights, bias } = model;
  const out = new Float64Array(n * k);
  for (let i = 0, base = 0; i < n; i++, base += d)
    for (let c = 0; c < k; c++) {
      let s = bias[c] as number;
      for (let j = 0; j < d; j++) s += (x[base + j] as number) * (weights[j * k + c] as number);
      out[i * k + c] = s;
    }
  return out;
}
