// The types of the API, read from the OpenAPI document: `generated/api.d.ts` is written by
// openapi-typescript from `openapi.json` on every build (npm run types). `call()` in api.js
// takes a route as the document writes it ("/v1/campaigns/{id}") and a method, and these
// types give its path and query parameters, its body and its answer. A route, a parameter or
// a field the console uses that the document no longer has fails `tsc`, hence the build.
import type { paths } from "../generated/api";

type Method = "get" | "put" | "post" | "delete" | "patch";

/** Every route of the API. */
export type Route = keyof paths;

/** The operation `M` of route `R` (never when the route has no such method). */
type Operation<R extends Route, M extends Method> = NonNullable<paths[R][M]>;

/** The methods route `R` answers, upper case: "GET" | "POST"… */
export type MethodOf<R extends Route> = {
  [M in Method]: [Operation<R, M>] extends [never] ? never : Uppercase<M>;
}[Method];

type Op<R extends Route, M extends string> = Operation<R, Lowercase<M> & Method>;

type JsonContent<C> = C extends { content: { "application/json": infer J } }
  ? J
  : C extends { content: { "application/merge-patch+json": infer J } }
    ? J
    : null;

type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 206;

type Responses<O> = O extends { responses: infer R } ? R : never;

/** What `M R` answers on success (null for an answer without a JSON body). */
export type Answer<R extends Route, M extends MethodOf<R>> = JsonContent<
  Responses<Op<R, M>>[Extract<keyof Responses<Op<R, M>>, SuccessStatus>]
>;

type Parameters<O, Where extends string> = O extends { parameters: infer P }
  ? P extends Record<Where, infer Q>
    ? Q
    : P extends Partial<Record<Where, infer Q>>
      ? Q
      : never
  : never;

/** The body `M R` takes: its JSON, or raw bytes for other media types (a .wasm). */
export type Body<R extends Route, M extends MethodOf<R>> =
  Op<R, M> extends { requestBody?: { content: infer C } }
    ? "application/json" extends keyof C
      ? C["application/json"]
      : "application/merge-patch+json" extends keyof C
        ? C["application/merge-patch+json"]
        : Blob | ArrayBuffer
    : never;

type PathOption<P> = [P] extends [never] | [undefined] ? { path?: never } : { path: P };

/** The options of `call(M, R, options)`. */
export type CallOptions<R extends Route, M extends MethodOf<R>> = PathOption<
  Parameters<Op<R, M>, "path">
> & {
  query?: Parameters<Op<R, M>, "query">;
  body?: Body<R, M>;
  headers?: Record<string, string>;
  /** The key to send instead of the signed-in one. */
  key?: string | null;
};
