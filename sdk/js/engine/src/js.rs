//! QuickJS behind a few safe-looking calls: a runtime and context, the scenario's module and
//! its three exports, and the conversion of thrown values into the contract's errors.

use crate::quick::{string, take_exception, Failure};
use crate::remise::scenario::host::{log, Level};
use crate::remise::scenario::types::{
    Basket, Campaign, Context, Effect, Metadata, ParamProblem, ScenarioError,
};
use crate::values::{self, Atoms};
use rquickjs_sys as q;
use std::ffi::c_char;

/// The loaded scenario.
pub struct Engine {
    pub ctx: *mut q::JSContext,
    pub atoms: Atoms,
    pub metadata: Metadata,
    check_params: Option<q::JSValue>,
    evaluate: q::JSValue,
}

const PRELUDE: &str = concat!(include_str!("prelude.js"), "\0");

/// `console.*` lands here: `(level, text)`.
unsafe extern "C" fn write_log(
    ctx: *mut q::JSContext,
    _this: q::JSValue,
    argc: i32,
    argv: *mut q::JSValue,
) -> q::JSValue {
    if argc >= 2 {
        let mut level = 1;
        q::JS_ToInt32(ctx, &mut level, *argv);
        let text = string(ctx, *argv.add(1)).unwrap_or_default();
        let level = match level {
            0 => Level::Debug,
            1 => Level::Info,
            2 => Level::Warn,
            _ => Level::Error,
        };
        log(level, &text);
    }
    q::JS_UNDEFINED
}

unsafe fn failure(ctx: *mut q::JSContext, doing: &str) -> Failure {
    let (_, text) = take_exception(ctx);
    Failure::new(format!("{doing}: {text}"))
}

unsafe fn eval(
    ctx: *mut q::JSContext,
    source: &[u8],
    file: &std::ffi::CStr,
    flags: u32,
) -> q::JSValue {
    // `source` ends with a NUL, which QuickJS needs past its length.
    q::JS_Eval(
        ctx,
        source.as_ptr().cast::<c_char>(),
        (source.len() - 1) as _,
        file.as_ptr(),
        flags as i32,
    )
}

impl Engine {
    /// Starts QuickJS, runs the prelude, then the scenario's module (`source` ends with a
    /// NUL), and reads its exports.
    pub fn load(source: Vec<u8>) -> Result<Engine, Failure> {
        if std::str::from_utf8(&source[..source.len().saturating_sub(1)]).is_err() {
            return Err(Failure::new("the scenario is not UTF-8"));
        }
        // SAFETY: QuickJS's API, used from one thread, values freed once.
        unsafe {
            let rt = q::JS_NewRuntime();
            if rt.is_null() {
                return Err(Failure::new("QuickJS could not start"));
            }
            // QuickJS checks no stack depth on WASI: deep recursion runs off the 64 KiB
            // stack plugins link with (.cargo/config.toml), which sits first in memory, so
            // it traps out of bounds and overwrites nothing.
            let ctx = q::JS_NewContext(rt);
            if ctx.is_null() {
                return Err(Failure::new("QuickJS could not start"));
            }
            let global = q::JS_GetGlobalObject(ctx);
            let write = q::JS_NewCFunction2(
                ctx,
                Some(write_log),
                c"log".as_ptr(),
                2,
                q::JSCFunctionEnum_JS_CFUNC_generic,
                0,
            );
            q::JS_SetPropertyStr(ctx, global, c"__remiseLog".as_ptr(), write);
            q::JS_FreeValue(ctx, global);
            let done = eval(
                ctx,
                PRELUDE.as_bytes(),
                c"remise:prelude",
                q::JS_EVAL_TYPE_GLOBAL,
            );
            if q::JS_IsException(done) {
                return Err(failure(ctx, "the prelude failed"));
            }
            q::JS_FreeValue(ctx, done);
            crate::decimal::install(ctx)?;

            let module = eval(
                ctx,
                &source,
                c"scenario.js",
                q::JS_EVAL_TYPE_MODULE | q::JS_EVAL_FLAG_COMPILE_ONLY,
            );
            if q::JS_IsException(module) {
                return Err(failure(ctx, "the scenario does not compile"));
            }
            let definition = q::JS_VALUE_GET_PTR(module).cast::<q::JSModuleDef>();
            let ran = q::JS_EvalFunction(ctx, module);
            if q::JS_IsException(ran) {
                return Err(failure(ctx, "the scenario failed while loading"));
            }
            let rt = q::JS_GetRuntime(ctx);
            let mut job_ctx = std::ptr::null_mut();
            while q::JS_ExecutePendingJob(rt, &mut job_ctx) > 0 {}
            if q::JS_IsPromise(ran)
                && q::JS_PromiseState(ctx, ran) == q::JSPromiseStateEnum_JS_PROMISE_REJECTED
            {
                let reason = q::JS_PromiseResult(ctx, ran);
                q::JS_Throw(ctx, reason);
                return Err(failure(ctx, "the scenario failed while loading"));
            }
            q::JS_FreeValue(ctx, ran);
            let namespace = q::JS_GetModuleNamespace(ctx, definition);
            let export =
                |name: &std::ffi::CStr| q::JS_GetPropertyStr(ctx, namespace, name.as_ptr());

            let evaluate = export(c"evaluate");
            if !q::JS_IsFunction(ctx, evaluate) {
                return Err(Failure::new(
                    "the scenario must export a function `evaluate(basket, context, params)`",
                ));
            }
            let check_params = export(c"checkParams");
            let check_params = if q::JS_IsUndefined(check_params) {
                None
            } else if q::JS_IsFunction(ctx, check_params) {
                Some(check_params)
            } else {
                return Err(Failure::new(
                    "`checkParams`, when exported, must be a function",
                ));
            };
            let metadata = read_metadata(ctx, export(c"metadata"))?;
            q::JS_FreeValue(ctx, namespace);
            Ok(Engine {
                ctx,
                atoms: Atoms::new(ctx),
                metadata,
                check_params,
                evaluate,
            })
        }
    }

    /// `check-params`: the JSON must parse, and `checkParams` (when exported) must return
    /// no problem; the prepared params are the JSON text itself.
    pub fn check_params(&mut self, json: String) -> Result<Vec<u8>, Vec<ParamProblem>> {
        let ctx = self.ctx;
        let mut text = Vec::new();
        // SAFETY: as in `load`.
        unsafe {
            let params = match parse_params(ctx, json.as_bytes(), &mut text) {
                Ok(params) => params,
                Err(message) => return Err(vec![problem("", message)]),
            };
            if let Some(check) = self.check_params {
                let mut argv = [params];
                let answer = q::JS_Call(ctx, check, q::JS_UNDEFINED, 1, argv.as_mut_ptr());
                q::JS_FreeValue(ctx, params);
                if q::JS_IsException(answer) {
                    let (_, message) = take_exception(ctx);
                    return Err(vec![problem("", message)]);
                }
                let problems = values::problems(ctx, &self.atoms, answer);
                q::JS_FreeValue(ctx, answer);
                match problems {
                    Ok(problems) if problems.is_empty() => {}
                    Ok(problems) => return Err(problems),
                    Err(Failure { message }) => return Err(vec![problem("", message)]),
                }
            } else {
                q::JS_FreeValue(ctx, params);
            }
        }
        Ok(json.into_bytes())
    }

    /// `evaluate`: `evaluate(basket, context, params)` once per campaign.
    pub fn evaluate(
        &mut self,
        basket: &Basket,
        context: &Context,
        campaigns: &[Campaign],
    ) -> Result<Vec<Result<Vec<Effect>, ScenarioError>>, Failure> {
        let ctx = self.ctx;
        // SAFETY: as in `load`.
        unsafe {
            let mut strings = values::Strings::new(basket);
            let basket_value = values::basket(ctx, &self.atoms, &mut strings, basket);
            let context_value = values::context(ctx, &self.atoms, &mut strings, context);
            strings.free(ctx);
            let mut answers = Vec::with_capacity(campaigns.len());
            let mut text = Vec::new();
            for campaign in campaigns {
                let params = match parse_params(ctx, &campaign.params, &mut text) {
                    Ok(params) => params,
                    Err(message) => {
                        answers.push(Err(ScenarioError::InvalidParams(message)));
                        continue;
                    }
                };
                let mut argv = [
                    q::JS_DupValue(ctx, basket_value),
                    q::JS_DupValue(ctx, context_value),
                    params,
                ];
                let answer = q::JS_Call(ctx, self.evaluate, q::JS_UNDEFINED, 3, argv.as_mut_ptr());
                for value in argv {
                    q::JS_FreeValue(ctx, value);
                }
                if q::JS_IsException(answer) {
                    let (name, message) = take_exception(ctx);
                    answers.push(Err(match name.as_str() {
                        "InvalidParams" => ScenarioError::InvalidParams(message),
                        "Unsupported" => ScenarioError::Unsupported(message),
                        _ => ScenarioError::Failed(message),
                    }));
                    continue;
                }
                let effects = values::effects(ctx, &self.atoms, answer);
                q::JS_FreeValue(ctx, answer);
                answers.push(effects.map_err(|Failure { message }| ScenarioError::Failed(message)));
            }
            q::JS_FreeValue(ctx, basket_value);
            q::JS_FreeValue(ctx, context_value);
            Ok(answers)
        }
    }
}

/// The campaign's params JSON parsed (`text` is scratch space: QuickJS wants a NUL past the
/// end); the parser's message when it is not JSON.
unsafe fn parse_params(
    ctx: *mut q::JSContext,
    json: &[u8],
    text: &mut Vec<u8>,
) -> Result<q::JSValue, String> {
    text.clear();
    text.extend_from_slice(json);
    text.push(0);
    let params = q::JS_ParseJSON(
        ctx,
        text.as_ptr().cast::<c_char>(),
        json.len() as _,
        c"params".as_ptr(),
    );
    if q::JS_IsException(params) {
        return Err(take_exception(ctx).1);
    }
    Ok(params)
}

fn problem(pointer: &str, message: String) -> ParamProblem {
    ParamProblem {
        pointer: pointer.into(),
        message,
    }
}

/// `metadata`: an object, or a function returning one, with `name`, `version`,
/// `description` and `paramsSchema` (an object or JSON text).
unsafe fn read_metadata(ctx: *mut q::JSContext, value: q::JSValue) -> Result<Metadata, Failure> {
    let value = if q::JS_IsFunction(ctx, value) {
        let called = q::JS_Call(ctx, value, q::JS_UNDEFINED, 0, std::ptr::null_mut());
        q::JS_FreeValue(ctx, value);
        if q::JS_IsException(called) {
            return Err(failure(ctx, "`metadata()` threw"));
        }
        called
    } else {
        value
    };
    if !q::JS_IsObject(value) {
        q::JS_FreeValue(ctx, value);
        return Err(Failure::new(
            "the scenario must export `metadata`: { name, version, description, paramsSchema }",
        ));
    }
    let text = |field: &std::ffi::CStr, json: bool| -> Result<String, Failure> {
        let got = q::JS_GetPropertyStr(ctx, value, field.as_ptr());
        let name = field.to_string_lossy();
        let text = if q::JS_IsString(got) {
            string(ctx, got)
        } else if json && q::JS_IsObject(got) {
            let encoded = q::JS_JSONStringify(ctx, got, q::JS_UNDEFINED, q::JS_UNDEFINED);
            let text = if q::JS_IsException(encoded) {
                None
            } else {
                string(ctx, encoded)
            };
            q::JS_FreeValue(ctx, encoded);
            text
        } else {
            None
        };
        q::JS_FreeValue(ctx, got);
        text.ok_or_else(|| Failure::new(format!("`metadata.{name}` must be a string")))
    };
    let metadata = Metadata {
        name: text(c"name", false)?,
        version: text(c"version", false)?,
        description: text(c"description", false)?,
        params_schema: text(c"paramsSchema", true)?,
    };
    q::JS_FreeValue(ctx, value);
    Ok(metadata)
}
