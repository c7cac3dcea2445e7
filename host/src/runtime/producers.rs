//! Which language a plugin was written in, from what its component says about itself: the
//! `producers` custom sections (tool conventions), read once at load for ops' plugin page.

use wasmtime::wasmparser::{KnownCustom, Parser, Payload};

/// How `remise plugin build` names itself in the components it makes.
pub const JAVASCRIPT_BUILDER: &str = "remise-js";

/// Tools whose name in a `processed-by` field tells the source language, most telling
/// first: a Rust plugin also names `wit-bindgen-c` (its standard library's bindings).
const LANGUAGE_OF_TOOL: &[(&str, &str)] = &[
    ("componentize-js", "JavaScript"),
    ("componentize-py", "Python"),
    ("wit-bindgen-rust", "Rust"),
    ("wit-bindgen-go", "Go"),
    ("wit-bindgen-c", "C"),
];

/// The language `component` was written in: a `language` field of any of its `producers`
/// sections (the component's or a core module's) when one is there, else the language of
/// the binding generators or componentizers named in `processed-by`; `None` when the
/// component says neither (a stripped build of a tool this list does not know).
pub fn language(component: &[u8]) -> Option<String> {
    let mut declared = None;
    let mut tools: Vec<String> = Vec::new();
    for payload in Parser::new(0).parse_all(component) {
        let Ok(Payload::CustomSection(section)) = payload else {
            continue;
        };
        let KnownCustom::Producers(producers) = section.as_known() else {
            continue;
        };
        for field in producers.into_iter().flatten() {
            for value in field.values.into_iter().flatten() {
                match field.name {
                    "language" if declared.is_none() && !value.name.is_empty() => {
                        declared = Some(value.name.to_string())
                    }
                    "processed-by" => tools.push(value.name.to_string()),
                    _ => {}
                }
            }
        }
    }
    // `remise plugin build` wraps JavaScript in an engine whose own sections say Rust.
    if tools.iter().any(|tool| tool == JAVASCRIPT_BUILDER) {
        return Some("JavaScript".to_string());
    }
    declared.or_else(|| {
        LANGUAGE_OF_TOOL
            .iter()
            .find(|(tool, _)| tools.iter().any(|named| named == tool))
            .map(|(_, language)| (*language).to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component made of nothing but a `producers` section with `fields`.
    fn component_with(fields: &[(&str, &[&str])]) -> Vec<u8> {
        let mut payload = vec![u8::try_from(fields.len()).expect("few fields")];
        let text = |out: &mut Vec<u8>, text: &str| {
            out.push(u8::try_from(text.len()).expect("short"));
            out.extend_from_slice(text.as_bytes());
        };
        for (name, values) in fields {
            text(&mut payload, name);
            payload.push(u8::try_from(values.len()).expect("few values"));
            for value in *values {
                text(&mut payload, value);
                text(&mut payload, "1.0");
            }
        }
        let mut section = Vec::new();
        text(&mut section, "producers");
        section.extend_from_slice(&payload);
        // The component preamble, then custom section 0 with its size.
        let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
        bytes.push(0);
        bytes.push(u8::try_from(section.len()).expect("small"));
        bytes.extend_from_slice(&section);
        bytes
    }

    #[test]
    fn a_declared_language_wins() {
        let bytes = component_with(&[
            ("language", &["JavaScript"]),
            ("processed-by", &["wit-bindgen-rust"]),
        ]);
        assert_eq!(language(&bytes).as_deref(), Some("JavaScript"));
    }

    #[test]
    fn a_component_of_remise_plugin_build_is_javascript_whatever_its_engine_says() {
        let bytes = component_with(&[
            ("language", &["Rust"]),
            ("processed-by", &["wit-bindgen-rust", JAVASCRIPT_BUILDER]),
        ]);
        assert_eq!(language(&bytes).as_deref(), Some("JavaScript"));
    }

    #[test]
    fn else_the_most_telling_tool_names_it() {
        let rust = component_with(&[("processed-by", &["wit-bindgen-c", "wit-bindgen-rust"])]);
        assert_eq!(language(&rust).as_deref(), Some("Rust"));
        let unknown = component_with(&[("processed-by", &["some-tool"])]);
        assert_eq!(language(&unknown), None);
        assert_eq!(language(b"not wasm at all"), None);
    }
}
