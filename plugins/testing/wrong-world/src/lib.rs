//! A well-formed WASI component of the wrong world: it exports a `greet`
//! function instead of the `folio:extractor` world's `metadata`/`extract`.
//! The registry must refuse it with a message that says so.

wit_bindgen::generate!({
    inline: "
        package acme:greeter@1.0.0;
        world greeter {
            export greet: func(name: string) -> string;
        }
    ",
    world: "greeter",
});

struct Greeter;

impl Guest for Greeter {
    fn greet(name: String) -> String {
        format!("hello {name}")
    }
}

export!(Greeter);
