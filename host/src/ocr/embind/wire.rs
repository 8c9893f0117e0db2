//! Calling into the module: the function table, embind invokers, and
//! conversion of wire values (sign extension, strings, value objects).

use super::*;

/// The function at `index` of the module's indirect function table.
pub(super) fn table_func(c: &mut impl AsContextMut<Data = EmscriptenState>, index: u32) -> Result<Func> {
    let table = c.as_context().data().rt()?.table;
    match table.get(&mut *c, index as u64) {
        Some(Ref::Func(Some(f))) => Ok(f),
        _ => wasmtime::bail!("no function at table index {index}"),
    }
}

/// Calls `f`, widening i32 arguments where the signature wants i64/f32/f64
/// (embind passes some integers as doubles).
pub fn call(c: &mut impl AsContextMut<Data = EmscriptenState>, f: &Func, args: &[Val]) -> Result<Option<Val>> {
    let ty = f.ty(&*c);
    if ty.params().len() != args.len() {
        wasmtime::bail!("arity mismatch: function takes {} arguments, got {}", ty.params().len(), args.len());
    }
    let args: Vec<Val> = args
        .iter()
        .zip(ty.params())
        .map(|(a, t)| match (a, t) {
            (Val::I32(i), ValType::I64) => Val::I64(*i as i64),
            (Val::I32(i), ValType::F32) => Val::F32((*i as f32).to_bits()),
            (Val::I32(i), ValType::F64) => Val::F64((*i as f64).to_bits()),
            (a, _) => *a,
        })
        .collect();
    let mut results = vec![Val::I32(0); ty.results().len()];
    f.call(&mut *c, &args, &mut results)?;
    Ok(results.into_iter().next())
}

pub fn malloc(c: &mut impl AsContextMut<Data = EmscriptenState>, size: u32) -> Result<u32> {
    let f = c.as_context().data().rt()?.malloc;
    let p = call(c, &f, &[Val::I32(size as i32)])?.map(|v| as_u32(&v)).unwrap_or(0);
    if p == 0 {
        wasmtime::bail!("malloc({size}) failed in the module");
    }
    Ok(p)
}

pub fn free(c: &mut impl AsContextMut<Data = EmscriptenState>, ptr: u32) -> Result<()> {
    let f = c.as_context().data().rt()?.free;
    call(c, &f, &[Val::I32(ptr as i32)])?;
    Ok(())
}

/// Allocates a `std::string` argument in embind's wire format (length-prefixed
/// bytes). As in embind's JS, the caller frees it after the call.
pub fn alloc_std_string(c: &mut impl AsContextMut<Data = EmscriptenState>, bytes: &[u8]) -> Result<u32> {
    let len = u32::try_from(bytes.len()).map_err(|_| wasmtime::format_err!("string too long"))?;
    let p = malloc(c, 4 + len + 1)?;
    write_u32(c, p, len)?;
    write_bytes(c, p + 4, bytes)?;
    write_bytes(c, p + 4 + len, &[0])?;
    Ok(p)
}

/// Converts a wire value of embind type `raw_type` into a [`Value`], freeing
/// temporaries the way embind's `fromWireType` does.
pub(super) fn from_wire(c: &mut impl AsContextMut<Data = EmscriptenState>, raw_type: u32, wire: Option<Val>) -> Result<Value> {
    let kind = c.as_context().data().registry.types.get(&raw_type).copied().unwrap_or(Kind::Void);
    let Some(w) = wire else { return Ok(Value::Undefined) };
    Ok(match kind {
        Kind::Void | Kind::StdWString => Value::Undefined,
        Kind::Bool | Kind::Enum => Value::Int(as_i32(&w) as i64),
        Kind::Int { size, signed } => Value::Int(widen_int(as_i32(&w), size, signed)),
        Kind::BigInt => match w {
            Val::I64(i) => Value::Int(i),
            other => Value::Int(as_i32(&other) as i64),
        },
        Kind::Float { .. } => match w {
            Val::F32(b) => Value::Float(f32::from_bits(b) as f64),
            Val::F64(b) => Value::Float(f64::from_bits(b)),
            _ => Value::Float(0.0),
        },
        Kind::StdString => {
            let p = as_u32(&w);
            let len = read_u32(c, p)?;
            let bytes = read_bytes(c, p + 4, len)?;
            free(c, p)?;
            Value::Str(String::from_utf8_lossy(&bytes).into_owned())
        }
        Kind::Emval => {
            let h = as_u32(&w);
            c.as_context_mut().data_mut().emvals.take(h)
        }
        Kind::MemoryView => {
            let p = as_u32(&w);
            Value::MemoryView { len: read_u32(c, p)?, addr: read_u32(c, p + 4)? }
        }
        Kind::ValueObject => {
            let p = as_u32(&w);
            let vo = c.as_context().data().registry.value_objects.get(&raw_type).cloned().unwrap_or_default();
            let mut fields = Vec::with_capacity(vo.fields.len());
            for f in &vo.fields {
                let getter = table_func(c, f.getter)?;
                let r = call(c, &getter, &[Val::I32(f.getter_context as i32), Val::I32(p as i32)])?;
                fields.push((f.name.clone(), from_wire(c, f.getter_return_type, r)?));
            }
            let dtor = table_func(c, vo.destructor)?;
            call(c, &dtor, &[Val::I32(p as i32)])?;
            Value::Object(fields)
        }
        Kind::Class => Value::Ptr(as_u32(&w)),
    })
}

/// An integer wire value (always an i32) as the C++ type registered it:
/// `size` bytes, signed or not, sign- or zero-extended as embind's JS does.
pub(super) fn widen_int(x: i32, size: u32, signed: bool) -> i64 {
    match (size, signed) {
        (1, true) => x as i8 as i64,
        (1, false) => x as u8 as i64,
        (2, true) => x as i16 as i64,
        (2, false) => x as u16 as i64,
        (_, false) => x as u32 as i64,
        _ => x as i64,
    }
}

/// embind's `readValueFromPointer`, used by `_emval_take_value`.
pub(super) fn read_from_pointer(c: &mut impl AsContextMut<Data = EmscriptenState>, raw_type: u32, p: u32) -> Result<Value> {
    let kind = c.as_context().data().registry.types.get(&raw_type).copied().unwrap_or(Kind::Void);
    match kind {
        Kind::MemoryView => Ok(Value::MemoryView { len: read_u32(c, p)?, addr: read_u32(c, p + 4)? }),
        Kind::Float { size: 4 } => Ok(Value::Float(f32::from_bits(read_u32(c, p)?) as f64)),
        Kind::Float { .. } => {
            let b = read_bytes(c, p, 8)?;
            Ok(Value::Float(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
        }
        _ => {
            let w = read_u32(c, p)?;
            from_wire(c, raw_type, Some(Val::I32(w as i32)))
        }
    }
}

/// Calls `class.method` on `this` (a pointer from [`construct`]).
pub fn call_method(c: &mut impl AsContextMut<Data = EmscriptenState>, class: &str, this: u32, method: &str, args: &[Val]) -> Result<Value> {
    let m = c
        .as_context()
        .data()
        .registry
        .classes
        .get(class)
        .and_then(|cl| cl.methods.get(method))
        .cloned()
        .ok_or_else(|| wasmtime::format_err!("the module registered no method {class}.{method}"))?;
    let invoker = table_func(c, m.invoker)?;
    let mut full = Vec::with_capacity(args.len() + 2);
    full.push(Val::I32(m.context as i32));
    full.push(Val::I32(this as i32));
    full.extend_from_slice(args);
    let r = call(c, &invoker, &full)?;
    from_wire(c, m.arg_types[0], r)
}

/// `new Class(args...)`; returns the instance pointer.
pub fn construct(c: &mut impl AsContextMut<Data = EmscriptenState>, class: &str, args: &[Val]) -> Result<u32> {
    let ctor = c
        .as_context()
        .data()
        .registry
        .classes
        .get(class)
        .and_then(|cl| cl.constructors.get(&(args.len() as u32 + 1)))
        .cloned()
        .ok_or_else(|| wasmtime::format_err!("the module registered no {class} constructor with {} arguments", args.len()))?;
    let invoker = table_func(c, ctor.invoker)?;
    let mut full = Vec::with_capacity(args.len() + 1);
    full.push(Val::I32(ctor.raw_constructor as i32));
    full.extend_from_slice(args);
    let p = call(c, &invoker, &full)?.map(|v| as_u32(&v)).unwrap_or(0);
    if p == 0 {
        wasmtime::bail!("{class} constructor returned null");
    }
    Ok(p)
}

/// `instance.delete()`.
pub fn destroy(c: &mut impl AsContextMut<Data = EmscriptenState>, class: &str, this: u32) -> Result<()> {
    let d = c
        .as_context()
        .data()
        .registry
        .classes
        .get(class)
        .map(|cl| cl.destructor)
        .ok_or_else(|| wasmtime::format_err!("the module registered no class {class}"))?;
    let f = table_func(c, d)?;
    call(c, &f, &[Val::I32(this as i32)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::widen_int;

    #[test]
    fn integers_widen_as_their_registered_type() {
        // The wire carries 0xFF.. bit patterns in an i32; the C++ type decides.
        assert_eq!(widen_int(-1, 1, true), -1);
        assert_eq!(widen_int(-1, 1, false), 255);
        assert_eq!(widen_int(0x1_80, 1, true), -128); // only the low byte counts
        assert_eq!(widen_int(-1, 2, true), -1);
        assert_eq!(widen_int(-1, 2, false), 65_535);
        assert_eq!(widen_int(0x1_8000, 2, true), -32_768);
        assert_eq!(widen_int(-1, 4, true), -1);
        assert_eq!(widen_int(-1, 4, false), 4_294_967_295);
        assert_eq!(widen_int(i32::MIN, 4, true), i32::MIN as i64);
        assert_eq!(widen_int(7, 1, false), 7);
    }
}
