//! The imports: embind registration calls, `emscripten::val` calls, and the
//! few libc/WASI shims the module needs (clock, environment, stdout, heap growth).

use super::*;

/// Defines every function import of `module` in `linker`, or fails naming the
/// first import this runtime does not implement.
pub fn define_imports(linker: &mut Linker<EmscriptenState>, module: &Module) -> Result<()> {
    for import in module.imports() {
        let ExternType::Func(ty) = import.ty() else { continue };
        let which = EmscriptenImport::from_minified(import.name()).ok_or_else(|| {
            wasmtime::format_err!(
                "unsupported tesseract-core.wasm build: unknown import {}.{} (Folio supports npm tesseract-wasm 0.11.0)",
                import.module(),
                import.name()
            )
        })?;
        linker.func_new(import.module(), import.name(), ty.clone(), move |caller, args, results| dispatch(caller, which, args, results))?;
    }
    Ok(())
}

/// A linker ready for `module`, for instantiating many stores.
pub fn linker_for(engine: &Engine, module: &Module) -> Result<Linker<EmscriptenState>> {
    let mut linker = Linker::new(engine);
    define_imports(&mut linker, module)?;
    Ok(linker)
}

pub(super) fn set_result(results: &mut [Val], v: i32) {
    if let Some(r) = results.first_mut() {
        *r = Val::I32(v);
    }
}

pub(super) const WASI_EBADF: i32 = 8;
pub(super) const WASI_ESPIPE: i32 = 70;
pub(super) const ENOENT: i32 = 44;

pub(super) fn dispatch(mut c: Caller<'_, EmscriptenState>, which: EmscriptenImport, a: &[Val], r: &mut [Val]) -> Result<()> {
    use EmscriptenImport::*;
    let arg = |i: usize| a.get(i).map(as_u32).unwrap_or(0);
    match which {
        CxaThrow => wasmtime::bail!("the module threw a C++ exception"),
        Abort => wasmtime::bail!("the module called abort()"),
        SyscallNoop => set_result(r, 0),
        // No filesystem: Tesseract only probes for config files.
        SyscallOpenat => set_result(r, -ENOENT),
        RegisterVoid => register(&mut c, arg(0), arg(1), Kind::Void)?,
        RegisterBool => register(&mut c, arg(0), arg(1), Kind::Bool)?,
        RegisterInteger => {
            let name = read_cstr(&c, arg(1))?;
            let signed = !name.contains("unsigned");
            c.data_mut().registry.set_type(arg(0), name, Kind::Int { size: arg(2), signed });
        }
        RegisterBigint => register(&mut c, arg(0), arg(1), Kind::BigInt)?,
        RegisterFloat => register(&mut c, arg(0), arg(1), Kind::Float { size: arg(2) })?,
        RegisterStdString => register(&mut c, arg(0), arg(1), Kind::StdString)?,
        RegisterStdWString => register(&mut c, arg(0), arg(2), Kind::StdWString)?,
        RegisterEmval => register(&mut c, arg(0), arg(1), Kind::Emval)?,
        RegisterMemoryView => register(&mut c, arg(0), arg(2), Kind::MemoryView)?,
        RegisterEnum => register(&mut c, arg(0), arg(1), Kind::Enum)?,
        RegisterEnumValue => {
            let name = read_cstr(&c, arg(1))?;
            let reg = &mut c.data_mut().registry;
            let enum_name = reg.type_names.get(&arg(0)).cloned().unwrap_or_default();
            reg.enum_values.insert(format!("{enum_name}.{name}"), arg(2) as i32);
        }
        // (rawType, name, constructorSignature, rawConstructor, destructorSignature, rawDestructor)
        RegisterValueObject => {
            let name = read_cstr(&c, arg(1))?;
            let reg = &mut c.data_mut().registry;
            reg.set_type(arg(0), name, Kind::ValueObject);
            reg.value_objects.insert(arg(0), ValueObjectType { destructor: arg(5), fields: Vec::new() });
        }
        // (structType, fieldName, getterReturnType, getterSignature, getter, getterContext, setter...)
        RegisterValueObjectField => {
            let name = read_cstr(&c, arg(1))?;
            let field = Field { name, getter_return_type: arg(2), getter: arg(4), getter_context: arg(5) };
            match c.data_mut().registry.value_objects.get_mut(&arg(0)) {
                Some(vo) => vo.fields.push(field),
                None => wasmtime::bail!("value object field registered before its object"),
            }
        }
        FinalizeValueObject => {}
        // (rawType, rawPointerType, rawConstPointerType, baseClassRawType, getActualTypeSignature,
        //  getActualType, upcastSignature, upcast, downcastSignature, downcast, name, destructorSignature, rawDestructor)
        RegisterClass => {
            let name = read_cstr(&c, arg(10))?;
            let reg = &mut c.data_mut().registry;
            for i in 0..3 {
                reg.set_type(arg(i), name.clone(), Kind::Class);
            }
            reg.class_by_type.insert(arg(0), name.clone());
            reg.classes.insert(name, Class { destructor: arg(12), ..Default::default() });
        }
        // (rawClassType, argCount, rawArgTypesAddr, invokerSignature, invoker, rawConstructor)
        RegisterClassConstructor => {
            let class = class_name(&c, arg(0))?;
            let ctor = Constructor { invoker: arg(4), raw_constructor: arg(5) };
            if let Some(cl) = c.data_mut().registry.classes.get_mut(&class) {
                cl.constructors.insert(arg(1), ctor);
            }
        }
        // (rawClassType, methodName, argCount, rawArgTypesAddr, invokerSignature, rawInvoker, context, isPureVirtual)
        RegisterClassFunction => {
            let class = class_name(&c, arg(0))?;
            let name = read_cstr(&c, arg(1))?;
            let arg_types = (0..arg(2)).map(|i| read_u32(&c, arg(3) + 4 * i)).collect::<Result<Vec<_>>>()?;
            if arg_types.is_empty() {
                wasmtime::bail!("method {class}.{name} registered without a return type");
            }
            let method = Method { invoker: arg(5), context: arg(6), arg_types };
            if let Some(cl) = c.data_mut().registry.classes.get_mut(&class) {
                cl.methods.insert(name, method);
            }
        }
        GetNowIsMonotonic => set_result(r, 1),
        EmvalIncref => c.data_mut().emvals.incref(arg(0)),
        EmvalDecref => c.data_mut().emvals.decref(arg(0)),
        EmvalTakeValue => {
            let v = read_from_pointer(&mut c, arg(0), arg(1))?;
            let h = c.data_mut().emvals.insert(v);
            set_result(r, h as i32);
        }
        // Only callbacks we handed out are called (see `new_callback`).
        EmvalCall => {
            let state = c.data_mut();
            if state.deadline.is_some_and(|d| std::time::Instant::now() > d) {
                state.deadline_hit = true;
                wasmtime::bail!("deadline exceeded");
            }
            set_result(r, EMVAL_UNDEFINED as i32);
        }
        // gmtime/localtime: Tesseract only formats timestamps for debug output.
        TimeToTm => {
            let tm = a.last().map(as_u32).unwrap_or(0);
            write_bytes(&mut c, tm, &[0u8; 36])?;
        }
        Mktime => {
            if let Some(x) = r.first_mut() {
                *x = match x {
                    Val::I64(_) => Val::I64(0),
                    Val::F64(_) => Val::F64(0),
                    _ => Val::I32(0),
                }
            }
        }
        Tzset => {}
        DateNow | GetNow => {
            let now_ms =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
            if let Some(x) = r.first_mut() {
                *x = Val::F64(now_ms.to_bits());
            }
        }
        MemcpyBig => {
            let (dst, src, n) = (arg(0) as usize, arg(1) as usize, arg(2) as usize);
            let m = memory(&c)?;
            let data = m.data_mut(&mut c);
            if src.checked_add(n).is_none_or(|e| e > data.len()) || dst.checked_add(n).is_none_or(|e| e > data.len()) {
                wasmtime::bail!("memcpy out of bounds");
            }
            data.copy_within(src..src + n, dst);
        }
        ResizeHeap => {
            let ok = resize_heap(&mut c, arg(0) as u64)?;
            set_result(r, ok as i32);
        }
        EnvironSizesGet => {
            let env = c.data().env.clone();
            let total: usize = env.iter().map(|e| e.len() + 1).sum();
            write_u32(&mut c, arg(0), env.len() as u32)?;
            write_u32(&mut c, arg(1), total as u32)?;
            set_result(r, 0);
        }
        // environ_get(char** environ, char* environ_buf)
        EnvironGet => {
            let env = c.data().env.clone();
            let (mut ptrs, mut buf) = (arg(0), arg(1));
            for e in &env {
                write_u32(&mut c, ptrs, buf)?;
                write_bytes(&mut c, buf, e.as_bytes())?;
                write_bytes(&mut c, buf + e.len() as u32, &[0])?;
                ptrs += 4;
                buf += e.len() as u32 + 1;
            }
            set_result(r, 0);
        }
        FdClose | FdRead => set_result(r, WASI_EBADF),
        FdSeek => set_result(r, WASI_ESPIPE),
        // fd_write(fd, iovs, iovs_len, nwritten): stdout and stderr both go to the log.
        FdWrite => {
            let (iovs, count, nwritten) = (arg(1), arg(2), arg(3));
            let mut total = 0u32;
            for i in 0..count {
                let ptr = read_u32(&c, iovs + 8 * i)?;
                let len = read_u32(&c, iovs + 8 * i + 4)?;
                let bytes = read_bytes(&c, ptr, len)?;
                c.data_mut().append_log(&bytes);
                total += len;
            }
            write_u32(&mut c, nwritten, total)?;
            set_result(r, 0);
        }
        Strftime => set_result(r, 0),
    }
    Ok(())
}

pub(super) fn register(c: &mut Caller<'_, EmscriptenState>, raw: u32, name_ptr: u32, kind: Kind) -> Result<()> {
    let name = read_cstr(c, name_ptr)?;
    c.data_mut().registry.set_type(raw, name, kind);
    Ok(())
}

pub(super) fn class_name(c: &Caller<'_, EmscriptenState>, raw: u32) -> Result<String> {
    c.data()
        .registry
        .class_by_type
        .get(&raw)
        .cloned()
        .ok_or_else(|| wasmtime::format_err!("member registered for unknown class type {raw}"))
}

/// `emscripten_resize_heap`: grow linear memory to at least `requested` bytes,
/// over-allocating by 20% like Emscripten's JS does. Returns false when the
/// memory cap (or the module's declared maximum) refuses.
pub(super) fn resize_heap(c: &mut Caller<'_, EmscriptenState>, requested: u64) -> Result<bool> {
    let m = memory(c)?;
    let current = m.data_size(&*c) as u64;
    let max = m.ty(&*c).maximum().map(|p| p * WASM_PAGE).unwrap_or(1 << 32);
    if requested > max {
        c.data_mut().heap_limit_hit = true;
        return Ok(false);
    }
    let want = requested.max(current + current / 5).min(max);
    let pages = want.div_ceil(WASM_PAGE).saturating_sub(current / WASM_PAGE);
    // Try the generous size first, then exactly what was asked for.
    if m.grow(&mut *c, pages).is_ok() {
        return Ok(true);
    }
    let exact = requested.div_ceil(WASM_PAGE).saturating_sub(current / WASM_PAGE);
    if exact < pages && m.grow(&mut *c, exact).is_ok() {
        return Ok(true);
    }
    c.data_mut().heap_limit_hit = true;
    Ok(false)
}
