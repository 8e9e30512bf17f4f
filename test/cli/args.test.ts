/**
 * The argument parser and the option-table ↔ flag mapping, in process (cheap): every estimator
 * option has exactly one flag, and bad values give the table's wording naming the flag.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OPTION_TABLE, resolveOptions } from "../../src/index.js";
import { ESTIMATOR_FLAGS, Flags, estimatorOptions, optionFlag, parseArgs, type FlagSpec } from "../../src/cli/args.js";
import { UsageError, describeError } from "../../src/cli/errors.js";

const SPECS: FlagSpec[] = [
  { name: "target", short: "t", kind: "list", doc: "" },
  { name: "out", short: "o", kind: "string", doc: "" },
  { name: "quiet", short: "q", kind: "boolean", doc: "" },
  { name: "progress", kind: "boolean", negatable: true, doc: "" },
  ...ESTIMATOR_FLAGS,
];
const parse = (argv: string[]): Flags => new Flags(parseArgs(argv, SPECS, "fit"), "fit");

describe("parseArgs", () => {
  it("handles --flag value, --flag=value, short flags, lists, booleans, negation, - and --", () => {
    const f = parse(["data.csv", "-t", "a", "--target=b", "-ob.json", "-q", "--no-progress", "--", "--weird"]);
    assert.deepEqual(f.list("target"), ["a", "b"]);
    assert.equal(f.str("out"), "b.json");
    assert.equal(f.bool("quiet"), true);
    assert.equal(f.tri("progress"), false);
    assert.deepEqual(f.parsed.positionals, ["data.csv", "--weird"]);
    assert.deepEqual(parse(["-"]).parsed.positionals, ["-"]);
  });
  it("rejects unknown flags, missing values, repeated single flags", () => {
    assert.throws(() => parse(["--nope"]), UsageError);
    assert.throws(() => parse(["--out"]), /--out needs a value/);
    assert.throws(() => parse(["--out", "a", "--out", "b"]), /more than once/);
    assert.throws(() => parse(["--quiet=yes"]), /takes no value/);
  });
  it("keeps its messages on the util.parseArgs tokens: -5, -x, -q=…, --no-<not negatable>, values starting with -", () => {
    assert.throws(() => parse(["-5"]), /unexpected argument "-5"; negative numbers go after their flag's '='/);
    assert.throws(() => parse(["-x"]), /^UsageError: unknown option -x$|unknown option -x/);
    assert.throws(() => parse(["-q=3"]), /unknown option -=/);
    assert.throws(() => parse(["--no-quiet"]), /unknown option --no-quiet/);
    assert.throws(() => parse(["--ot", "a"]), /unknown option --ot \(did you mean --out\?\)/);
    assert.equal(parse(["--out", "-"]).str("out"), "-");
    assert.equal(parse(["--experts=-1"]).str("experts"), "-1");
    assert.equal(parse(["-qt", "y"]).bool("quiet"), true, "grouped short flags");
    assert.equal(parse(["--quiet=false"]).bool("quiet"), false);
    assert.equal(parse(["--no-progress=false"]).tri("progress"), true);
  });
});

describe("estimator flags", () => {
  it("one flag per OPTION_TABLE row, names distinct", () => {
    const names = ESTIMATOR_FLAGS.map((f) => f.name);
    assert.equal(names.length, Object.keys(OPTION_TABLE).length);
    assert.equal(new Set(names).size, names.length);
    assert.equal(optionFlag("nExperts"), "experts");
    assert.equal(optionFlag("learningRate"), "lr");
    assert.equal(optionFlag("stepExponent"), "step-exponent");
  });
  it("values map one-to-one to options and resolve", () => {
    const o = estimatorOptions(parse(["--experts", "3", "--lr", "0.05", "--init-rows", "auto", "--average-from", "100", "--no-standardize", "--method", "adam"]));
    assert.deepEqual(o, { nExperts: 3, learningRate: 0.05, initRows: null, averageFrom: 100, standardize: false, method: "adam" });
    const r = resolveOptions(o);
    assert.equal(r.nExperts, 3);
  });
  it("every option: an invalid value gives a UsageError naming its flag (exit 2)", () => {
    for (const f of ESTIMATOR_FLAGS) {
      const spec = (OPTION_TABLE as Record<string, { kind: string }>)[f.option];
      if (spec.kind === "bool") continue;
      const bad = spec.kind === "enum" ? "no-such-value" : "-1e9";
      assert.throws(
        () => estimatorOptions(parse([`--${f.name}=${bad}`])),
        (err: unknown) => err instanceof UsageError && err.message.startsWith(`--${f.name} must be`) && describeError(err).code === 2,
        f.name,
      );
    }
  });
});

describe("describeError", () => {
  it("an unexpected error is an internal error with a --verbose hint (exit 3)", () => {
    const d = describeError(new TypeError("x is undefined"));
    assert.equal(d.code, 3);
    assert.equal(d.line, "ismm: internal error: TypeError: x is undefined (rerun with --verbose for the stack trace)");
  });
});
