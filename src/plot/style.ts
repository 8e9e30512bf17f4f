/**
 * Colours, labels and number formatting shared by the charts. Method colours are fixed (Okabe–Ito,
 * colour-blind safe) in the order ismm, em, adam, rmsprop, sgd, sophia, so a method has the same
 * colour in every chart whichever subset is present.
 */

/** Fixed method order (legend order and colour assignment). */
export const METHOD_ORDER = ["ismm", "em", "adam", "rmsprop", "sgd", "sophia"] as const;

/** Okabe–Ito palette; yellow omitted (poor contrast on white). */
export const METHOD_COLORS: Readonly<Record<(typeof METHOD_ORDER)[number], string>> = {
  ismm: "#0072B2", // blue
  em: "#000000", // black (reference rule)
  adam: "#D55E00", // vermillion
  rmsprop: "#009E73", // bluish green
  sgd: "#E69F00", // orange
  sophia: "#CC79A7", // reddish purple
};

const EXTRA_COLORS = ["#56B4E9", "#7F7F7F", "#8C564B", "#BCBD22", "#17BECF", "#9467BD"];

/** Colours of experts 1, 2, … (cycled). */
export const EXPERT_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F", "#8C564B"];

/** Label used for batch EM everywhere. */
export const EM_LABEL = "batch EM";

/** The Vega-Lite schema every chart declares. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

export function isKnownMethod(m: string): m is (typeof METHOD_ORDER)[number] {
  return (METHOD_ORDER as readonly string[]).includes(m);
}

/** Known methods in METHOD_ORDER, then unknown ones alphabetically. */
export function sortMethods(methods: Iterable<string>): string[] {
  const uniq = [...new Set(methods)];
  const known = METHOD_ORDER.filter((m) => uniq.includes(m)) as string[];
  return [...known, ...uniq.filter((m) => !isKnownMethod(m)).sort()];
}

/** Colour of a method; unknown methods get extra colours in order of `allUnknown`. */
export function methodColor(method: string, allUnknown: readonly string[] = []): string {
  if (isKnownMethod(method)) return METHOD_COLORS[method];
  return EXTRA_COLORS[Math.max(0, allUnknown.indexOf(method)) % EXTRA_COLORS.length];
}

/** Legend label: "adam (lr=3e-3)", "ismm", or "batch EM". */
export function methodLabel(method: string, config: string): string {
  if (method === "em") return EM_LABEL;
  const c = config.trim().toLowerCase();
  const trivial = c === "" || c === "-" || c === "default" || c === "none" || c === "na";
  return trivial ? method : `${method} (${config})`;
}

/** A number for chart text: integers with separators, 3 significant digits, exponents when extreme. */
export function chartNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US");
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}
