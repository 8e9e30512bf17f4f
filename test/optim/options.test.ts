/**
 * Options: every key of every constraint table rejects bad values with sklearn's wording; unknown
 * keys and unknown optimizer names are rejected; the defaults written in the file headers and in
 * `index.ts` agree with the tables (STYLE.md b5 "defaults are written once"); and the `@example`
 * blocks in `src/optim/*.ts` run and print what they claim.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { OptionError } from "../../src/core/errors.js";
import * as optim from "../../src/optim/index.js";
import {
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_NAMES,
  OPTIMIZER_OPTIONS,
  describeRange,
  makeOptimizer,
  type OptimizerOptionSpec,
} from "../../src/optim/index.js";
import * as types from "../../src/optim/types.js";

const SRC = new URL("../../src/optim/", import.meta.url);

function readSource(file: string): string {
  return readFileSync(new URL(file, SRC), "utf8");
}

/** Values that violate `spec`, with the text expected after "Got ". */
function invalidValues(spec: OptimizerOptionSpec): Array<[unknown, string]> {
  const out: Array<[unknown, string]> = [
    [NaN, "NaN"],
    ["0.1", '"0.1"'],
    [true, "true"],
    [null, "null"],
  ];
  if (Number.isFinite(spec.min)) {
    const closedMin = spec.kind === "int" || !spec.minOpen;
    out.push(closedMin ? [spec.min - 1, String(spec.min - 1)] : [spec.min, String(spec.min)]);
  }
  if (spec.max !== undefined && Number.isFinite(spec.max)) {
    const closedMax = spec.kind === "int" || !spec.maxOpen;
    out.push(closedMax ? [spec.max + 1, String(spec.max + 1)] : [spec.max, String(spec.max)]);
  } else {
    out.push([Infinity, "Infinity"]);
  }
  if (spec.kind === "int") out.push([spec.default + 0.5, String(spec.default + 0.5)]);
  return out;
}

describe("option validation", () => {
  it("uses the sklearn template (example from the spec)", () => {
    assert.throws(
      () => optim.adam({ learningRate: -1 }),
      (e: unknown) =>
        e instanceof OptionError &&
        e.message === "The 'learningRate' option of adam must be a float in the range (0, inf). Got -1 instead",
    );
  });

  for (const name of OPTIMIZER_NAMES) {
    const table = OPTIMIZER_OPTIONS[name];
    for (const [key, spec] of Object.entries(table)) {
      it(`${name}.${key}: every invalid value throws OptionError with the template message`, () => {
        const article = spec.kind === "int" ? "an int" : "a float";
        for (const [value, shown] of invalidValues(spec)) {
          const expected =
            `The '${key}' option of ${name} must be ${article} in the range ${describeRange(spec)}. ` +
            `Got ${shown} instead`;
          assert.throws(
            () => makeOptimizer(name, { [key]: value }),
            (e: unknown) => e instanceof OptionError && e.message === expected,
            `value ${String(value)} should throw: ${expected}`,
          );
        }
      });

      it(`${name}.${key}: the default and the closed ends of the range are accepted`, () => {
        const accepted = [spec.default];
        if (Number.isFinite(spec.min) && (spec.kind === "int" || !spec.minOpen)) accepted.push(spec.min);
        if (spec.max !== undefined && Number.isFinite(spec.max) && (spec.kind === "int" || !spec.maxOpen)) accepted.push(spec.max);
        for (const v of accepted) assert.equal(makeOptimizer(name, { [key]: v }).options[key], v);
      });
    }

    it(`${name}: unknown keys throw OptionError naming the valid options`, () => {
      const valid = Object.keys(table).join(", ");
      assert.throws(
        () => makeOptimizer(name, { learning_rate: 0.1 }),
        (e: unknown) =>
          e instanceof OptionError &&
          e.message === `Unknown option 'learning_rate' for ${name}. Valid options: ${valid}`,
      );
    });

    it(`${name}: no options gives exactly the documented defaults, frozen; undefined means default`, () => {
      const opt = makeOptimizer(name);
      assert.equal(opt.name, name);
      assert.deepEqual({ ...opt.options }, { ...OPTIMIZER_DEFAULTS[name] });
      assert.ok(Object.isFrozen(opt.options));
      const firstKey = Object.keys(table)[0];
      assert.deepEqual({ ...makeOptimizer(name, { [firstKey]: undefined }).options }, { ...OPTIMIZER_DEFAULTS[name] });
    });
  }

  it("options that are not a plain object throw OptionError", () => {
    for (const bad of [null, 3, "fast", [1]]) {
      assert.throws(() => optim.sgd(bad as never), OptionError);
    }
  });

  it("makeOptimizer rejects an unknown name with the template message", () => {
    assert.throws(
      () => makeOptimizer("adagrad"),
      (e: unknown) =>
        e instanceof OptionError &&
        e.message ===
          "The 'name' option of makeOptimizer must be one of 'sgd', 'rmsprop', 'adam', 'sophia'. Got \"adagrad\" instead",
    );
  });
});

describe("documented defaults agree with the constraint tables", () => {
  const files: Record<string, string> = { sgd: "sgd.ts", rmsprop: "rmsprop.ts", adam: "adam.ts", sophia: "sophia.ts" };

  for (const name of OPTIMIZER_NAMES) {
    it(`${files[name]} header table lists every option with its default and range`, () => {
      const text = readSource(files[name]);
      for (const [key, spec] of Object.entries(OPTIMIZER_OPTIONS[name])) {
        // header row: " * | key | default | range | meaning |"
        const row = new RegExp(`^ \\* \\|\\s*${key}\\s*\\|\\s*([^|]+?)\\s*\\|\\s*([^|]+?)\\s*\\|`, "m").exec(text);
        assert.ok(row, `${files[name]}: no header row for '${key}'`);
        assert.equal(Number(row[1]), spec.default, `${files[name]}: documented default of '${key}'`);
        assert.equal(row[2], describeRange(spec), `${files[name]}: documented range of '${key}'`);
      }
    });
  }

  it("index.ts header table matches OPTIMIZER_DEFAULTS row by row, with nothing extra", () => {
    const text = readSource("index.ts");
    const rows = [...text.matchAll(/^ \* \|\s*(\w+)\s*\|\s*(\w+)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|$/gm)].filter(
      (m) => m[1] !== "optimizer",
    );
    const expected: string[] = [];
    for (const name of OPTIMIZER_NAMES) {
      for (const [key, spec] of Object.entries(OPTIMIZER_OPTIONS[name])) {
        expected.push(`${name}.${key} = ${spec.default} in ${describeRange(spec)}`);
      }
    }
    const documented = rows.map((m) => `${m[1]}.${m[2]} = ${Number(m[3])} in ${m[4]}`);
    assert.deepEqual(documented, expected);
  });
});

describe("@example blocks in src/optim run and print what they claim", () => {
  // Each example line `expr; // => literal  (optional remark)` becomes a deep-equality check.
  const api: Record<string, unknown> = { ...types, ...optim };
  const names = Object.keys(api);
  for (const file of ["types.ts", "sgd.ts", "rmsprop.ts", "adam.ts", "sophia.ts", "index.ts"]) {
    const text = readSource(file);
    const blocks = [...text.matchAll(/@example\n([\s\S]*?)(?=\n\s*\*\s*@|\n\s*\*\/)/g)].map((m) =>
      m[1].split("\n").map((line) => line.replace(/^\s*\* ?/, "")),
    );
    blocks.forEach((lines, b) => {
      it(`${file} example ${b + 1}`, () => {
        let checks = 0;
        const code = lines
          .map((line) => {
            const m = /^(.*);\s*\/\/ => (.*?)(\s{2,}\(.*\))?$/.exec(line);
            if (!m) return line;
            checks += 1;
            return `__check(${m[1]}, ${m[2]}, ${JSON.stringify(line)});`;
          })
          .join("\n");
        const check = (actual: unknown, expected: unknown, line: string): void => {
          const plain = actual !== null && typeof actual === "object" && !Array.isArray(actual) ? { ...actual } : actual;
          assert.deepEqual(plain, expected, `${file}: ${line}`);
        };
        new Function("__check", ...names, code)(check, ...names.map((n) => api[n]));
        assert.ok(checks > 0, `${file} example ${b + 1} has no '// =>' line to check`);
      });
    });
  }
});
