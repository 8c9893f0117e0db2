//! The Emscripten runtime functions and exports of the pinned
//! `tesseract-core.wasm` build, by their minified names.

/// The Emscripten runtime functions `tesseract-core.wasm` imports (module `a`),
/// keyed by their minified names in that build (see `wasmImports` in
/// `dist/lib.js` of the npm package).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmscriptenImport {
    CxaThrow,
    SyscallNoop,
    SyscallOpenat,
    FinalizeValueObject,
    RegisterBigint,
    RegisterBool,
    RegisterClass,
    RegisterClassConstructor,
    RegisterClassFunction,
    RegisterEmval,
    RegisterEnum,
    RegisterEnumValue,
    RegisterFloat,
    RegisterInteger,
    RegisterMemoryView,
    RegisterStdString,
    RegisterStdWString,
    RegisterValueObject,
    RegisterValueObjectField,
    RegisterVoid,
    GetNowIsMonotonic,
    EmvalCall,
    EmvalDecref,
    EmvalIncref,
    EmvalTakeValue,
    TimeToTm,
    Mktime,
    Tzset,
    Abort,
    DateNow,
    GetNow,
    MemcpyBig,
    ResizeHeap,
    EnvironGet,
    EnvironSizesGet,
    FdClose,
    FdRead,
    FdSeek,
    FdWrite,
    Strftime,
}

impl EmscriptenImport {
    pub fn from_minified(name: &str) -> Option<Self> {
        use EmscriptenImport::*;
        Some(match name {
            "e" => CxaThrow,
            // fcntl64, getcwd, ioctl, rmdir, unlinkat: no filesystem; report success.
            "s" | "F" | "H" | "B" | "C" => SyscallNoop,
            "t" => SyscallOpenat,
            "g" => FinalizeValueObject,
            "y" => RegisterBigint,
            "Q" => RegisterBool,
            "k" => RegisterClass,
            "j" => RegisterClassConstructor,
            "a" => RegisterClassFunction,
            "P" => RegisterEmval,
            "w" => RegisterEnum,
            "q" => RegisterEnumValue,
            "v" => RegisterFloat,
            "d" => RegisterInteger,
            "b" => RegisterMemoryView,
            "u" => RegisterStdString,
            "o" => RegisterStdWString,
            "i" => RegisterValueObject,
            "c" => RegisterValueObjectField,
            "R" => RegisterVoid,
            "J" => GetNowIsMonotonic,
            "T" => EmvalCall,
            "f" => EmvalDecref,
            "p" => EmvalIncref,
            "m" => EmvalTakeValue,
            "K" | "L" => TimeToTm,
            "M" => Mktime,
            "N" => Tzset,
            "h" => Abort,
            "l" => DateNow,
            "I" => GetNow,
            "O" => MemcpyBig,
            "A" => ResizeHeap,
            "D" => EnvironGet,
            "E" => EnvironSizesGet,
            "n" => FdClose,
            "G" => FdRead,
            "x" => FdSeek,
            "r" => FdWrite,
            "S" | "z" => Strftime,
            _ => return None,
        })
    }
}

/// Minified export names of the same build.
pub mod exports {
    pub const MEMORY: &str = "U";
    pub const CALL_CTORS: &str = "V";
    pub const MALLOC: &str = "W";
    pub const TABLE: &str = "X";
    pub const FREE: &str = "Y";
}

#[cfg(test)]
mod tests {
    use super::EmscriptenImport;

    #[test]
    fn known_minified_names_map_and_unknown_ones_are_refused() {
        assert_eq!(EmscriptenImport::from_minified("A"), Some(EmscriptenImport::ResizeHeap));
        assert_eq!(EmscriptenImport::from_minified("r"), Some(EmscriptenImport::FdWrite));
        assert_eq!(EmscriptenImport::from_minified("s"), Some(EmscriptenImport::SyscallNoop));
        for unknown in ["", "Z", "fd_write", "aa"] {
            assert_eq!(EmscriptenImport::from_minified(unknown), None, "{unknown}");
        }
    }
}
