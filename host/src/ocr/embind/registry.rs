//! What the module registered at start-up (types, classes, value objects,
//! enums) and the values converted from embind's wire format.

use super::*;

/// How embind marshals a registered type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Void,
    Bool,
    Int { size: u32, signed: bool },
    Float { size: u32 },
    BigInt,
    StdString,
    StdWString,
    Emval,
    MemoryView,
    Enum,
    ValueObject,
    Class,
}

#[derive(Clone, Debug)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) getter_return_type: u32,
    pub(super) getter: u32,
    pub(super) getter_context: u32,
}

#[derive(Clone, Debug, Default)]
pub(super) struct ValueObjectType {
    pub(super) destructor: u32,
    pub(super) fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub(super) struct Method {
    pub(super) invoker: u32,
    pub(super) context: u32,
    /// `[return, this, args...]`
    pub(super) arg_types: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(super) struct Constructor {
    pub(super) invoker: u32,
    pub(super) raw_constructor: u32,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Class {
    pub(super) destructor: u32,
    /// By embind arg count (return value + arguments).
    pub(super) constructors: HashMap<u32, Constructor>,
    pub(super) methods: HashMap<String, Method>,
}

/// Types, classes and enums registered by the module's static constructors.
#[derive(Default)]
pub struct Registry {
    pub(super) types: HashMap<u32, Kind>,
    pub(super) type_names: HashMap<u32, String>,
    pub(super) value_objects: HashMap<u32, ValueObjectType>,
    pub(super) classes: HashMap<String, Class>,
    pub(super) class_by_type: HashMap<u32, String>,
    pub(super) enum_values: HashMap<String, i32>,
}

impl Registry {
    pub(super) fn set_type(&mut self, raw: u32, name: String, kind: Kind) {
        self.types.insert(raw, kind);
        self.type_names.insert(raw, name);
    }

    /// The value of `Enum.Name`, e.g. `TextUnit.Word`.
    pub fn enum_value(&self, qualified: &str) -> Option<i32> {
        self.enum_values.get(qualified).copied()
    }
}

/// A value converted from embind's wire format.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Undefined,
    Int(i64),
    Float(f64),
    Str(String),
    /// A value object (`value_object<T>`), fields in registration order.
    Object(Vec<(String, Value)>),
    /// A pointer to a class instance (owned by the caller).
    Ptr(u32),
    /// A `typed_memory_view` into linear memory: element count and address.
    MemoryView {
        len: u32,
        addr: u32,
    },
}

impl Value {
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) => Some(*f as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The `error` field of tesseract-wasm's result objects, if set.
    pub fn error_message(&self) -> Option<&str> {
        self.field("error").and_then(Value::as_str).filter(|s| !s.is_empty())
    }
}
