// @ts-check
// threshold-discount in JavaScript: "10 % dès 100 €". The best tier reached on the eligible
// subtotal, off the order when the campaign is unscoped, off the eligible lines when it
// names categories or excluded SKUs. It answers as the Rust catalogue plugin does
// (tests/tests/suite/javascript.rs checks it on the catalogue tests' baskets).

/**
 * @typedef {import("../remise").Basket} Basket
 * @typedef {import("../remise").Context} Context
 * @typedef {import("../remise").Effect} Effect
 * @typedef {import("../remise").Metadata} Metadata
 * @typedef {import("../remise").ParamProblem} ParamProblem
 * @typedef {import("../remise").Line} Line
 * @typedef {{ min_subtotal: string, percent_off?: string, amount_off?: string }} Tier
 * @typedef {{ tiers: Tier[], categories?: string[], exclude_skus?: string[] }} Params
 */

const decimal = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?$" };

/** @type {Metadata} */
export const metadata = {
  name: "threshold-discount-js",
  version: "1.0.0",
  description:
    'Spend thresholds: the best tier reached on the eligible subtotal ("10 % dès 100 €"), ' +
    "off the order when unscoped, off the eligible lines when scoped by categories or excluded SKUs.",
  paramsSchema: JSON.stringify({
    type: "object",
    additionalProperties: false,
    required: ["tiers"],
    properties: {
      tiers: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["min_subtotal"],
          properties: { min_subtotal: decimal, percent_off: decimal, amount_off: decimal },
        },
      },
      categories: { type: "array", items: { type: "string" } },
      exclude_skus: { type: "array", items: { type: "string" } },
    },
  }),
};

/**
 * @param {Params} params
 * @returns {ParamProblem[]}
 */
export function checkParams(params) {
  /** @type {ParamProblem[]} */
  const problems = [];
  if (params.tiers.length === 0) {
    problems.push({ pointer: "/tiers", message: "at least one tier is needed" });
  }
  params.tiers.forEach((tier, i) => {
    if (Decimal.from(tier.min_subtotal).isNegative()) {
      problems.push({ pointer: `/tiers/${i}/min_subtotal`, message: "must be 0 or more" });
    }
    const percent = tier.percent_off === undefined ? undefined : Decimal.from(tier.percent_off);
    const amount = tier.amount_off === undefined ? undefined : Decimal.from(tier.amount_off);
    if ((percent === undefined) === (amount === undefined)) {
      problems.push({ pointer: `/tiers/${i}`, message: "set exactly one of percent_off and amount_off" });
    } else if (percent !== undefined && (percent.lte(0) || percent.gt(100))) {
      problems.push({ pointer: `/tiers/${i}/percent_off`, message: "must be above 0 and at most 100" });
    } else if (amount !== undefined && amount.lte(0)) {
      problems.push({ pointer: `/tiers/${i}/amount_off`, message: "must be above 0" });
    }
  });
  return problems;
}

/**
 * @param {Basket} basket
 * @param {Context} _context
 * @param {Params} params
 * @returns {Effect[]}
 */
export function evaluate(basket, _context, params) {
  const categories = params.categories ?? [];
  const excluded = params.exclude_skus ?? [];
  /** @param {Line} line */
  const eligible = (line) =>
    (categories.length === 0 || line.categories.some((c) => categories.includes(c))) &&
    !excluded.includes(line.sku);
  const lines = basket.lines.filter(eligible);
  const subtotal = lines.reduce(
    (sum, line) => sum.add(Decimal.from(line.unitPrice).mul(line.quantity)),
    Decimal.ZERO,
  );
  if (subtotal.lte(0)) return [];
  // The highest threshold reached; of equal ones, the last (as Rust's max_by_key).
  /** @type {{ min: Decimal, tier: Tier } | undefined} */
  let best;
  for (const tier of params.tiers) {
    const min = Decimal.from(tier.min_subtotal);
    if (min.lte(subtotal) && (best === undefined || min.gte(best.min))) best = { min, tier };
  }
  if (best === undefined) return [];
  const scoped = categories.length > 0 || excluded.length > 0;
  const target = scoped ? { lines: lines.map((line) => ({ line: line.index })) } : "order";
  const { percent_off, amount_off } = best.tier;
  const value = percent_off !== undefined ? { percent: percent_off } : { amount: amount_off ?? "0" };
  return [{ discount: { target, value } }];
}
