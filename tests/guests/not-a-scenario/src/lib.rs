//! A well-formed WebAssembly component that implements some other world (`acme:other`),
//! not `remise:scenario@1.0.0`: `Runtime::load` must refuse it with `NotAScenario`.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod wit {
    wit_bindgen::generate!({ path: "wit", world: "other" });
}

struct Other;

impl wit::Guest for Other {
    fn hello() -> String {
        "hello from another world".into()
    }
}

wit::export!(Other with_types_in wit);
