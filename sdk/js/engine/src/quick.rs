//! QuickJS's C API in the few small helpers every other module of the engine uses: text in
//! and out, whole numbers, what a script threw, and the failure a scenario is told of.

use rquickjs_sys as q;
use std::ffi::c_char;

/// Something the scenario did wrong, in words for its author.
pub struct Failure {
    pub message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
        }
    }
}

/// The value's text (`String(value)`), `None` if that throws.
pub unsafe fn string(ctx: *mut q::JSContext, value: q::JSValue) -> Option<String> {
    let mut len = 0;
    let text = q::JS_ToCStringLen2(ctx, &mut len, value, false);
    if text.is_null() {
        let thrown = q::JS_GetException(ctx);
        q::JS_FreeValue(ctx, thrown);
        return None;
    }
    let bytes = std::slice::from_raw_parts(text.cast::<u8>(), len as usize);
    let owned = String::from_utf8_lossy(bytes).into_owned();
    q::JS_FreeCString(ctx, text);
    Some(owned)
}

/// A new JS string.
pub unsafe fn new_string(ctx: *mut q::JSContext, text: &str) -> q::JSValue {
    q::JS_NewStringLen(ctx, text.as_ptr().cast::<c_char>(), text.len() as _)
}

/// The pending exception, taken: its `name` and its text.
pub unsafe fn take_exception(ctx: *mut q::JSContext) -> (String, String) {
    let thrown = q::JS_GetException(ctx);
    let mut name = String::new();
    let mut text = String::new();
    if q::JS_IsObject(thrown) {
        let value = q::JS_GetPropertyStr(ctx, thrown, c"name".as_ptr());
        name = string(ctx, value).unwrap_or_default();
        q::JS_FreeValue(ctx, value);
        let value = q::JS_GetPropertyStr(ctx, thrown, c"message".as_ptr());
        if !q::JS_IsUndefined(value) {
            text = string(ctx, value).unwrap_or_default();
        }
        q::JS_FreeValue(ctx, value);
        let stack = q::JS_GetPropertyStr(ctx, thrown, c"stack".as_ptr());
        if name != "InvalidParams" && name != "Unsupported" && q::JS_IsString(stack) {
            let stack = string(ctx, stack).unwrap_or_default();
            if !stack.is_empty() {
                text = format!("{name}: {text}\n{}", stack.trim_end());
            }
        }
        q::JS_FreeValue(ctx, stack);
    }
    if text.is_empty() {
        text = string(ctx, thrown).unwrap_or_else(|| "an exception".into());
    }
    q::JS_FreeValue(ctx, thrown);
    (name, text)
}

/// A JavaScript integer.
pub fn int(value: i32) -> q::JSValue {
    q::JS_MKVAL(q::JS_TAG_INT, value)
}
