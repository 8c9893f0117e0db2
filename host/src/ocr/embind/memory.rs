//! Linear memory helpers: bounds-checked, so a misbehaving module cannot make
//! the host panic.

use super::*;

pub(super) fn memory(c: &impl AsContext<Data = EmscriptenState>) -> Result<Memory> {
    Ok(c.as_context().data().rt()?.memory)
}

pub fn read_bytes(c: &impl AsContext<Data = EmscriptenState>, addr: u32, len: u32) -> Result<Vec<u8>> {
    let m = memory(c)?;
    let data = m.data(c);
    let range = addr as usize..addr as usize + len as usize;
    data.get(range).map(<[u8]>::to_vec).ok_or_else(|| wasmtime::format_err!("read of {len} bytes at {addr:#x} is out of bounds"))
}

pub fn write_bytes(c: &mut impl AsContextMut<Data = EmscriptenState>, addr: u32, bytes: &[u8]) -> Result<()> {
    let m = memory(c)?;
    let data = m.data_mut(&mut *c);
    let range = addr as usize..addr as usize + bytes.len();
    data.get_mut(range)
        .ok_or_else(|| wasmtime::format_err!("write of {} bytes at {addr:#x} is out of bounds", bytes.len()))?
        .copy_from_slice(bytes);
    Ok(())
}

pub fn read_u32(c: &impl AsContext<Data = EmscriptenState>, addr: u32) -> Result<u32> {
    let b = read_bytes(c, addr, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub fn write_u32(c: &mut impl AsContextMut<Data = EmscriptenState>, addr: u32, v: u32) -> Result<()> {
    write_bytes(c, addr, &v.to_le_bytes())
}

pub(super) fn read_cstr(c: &impl AsContext<Data = EmscriptenState>, addr: u32) -> Result<String> {
    let m = memory(c)?;
    let data = m.data(c);
    let tail = data.get(addr as usize..).ok_or_else(|| wasmtime::format_err!("string at {addr:#x} is out of bounds"))?;
    let len = tail.iter().position(|&b| b == 0).ok_or_else(|| wasmtime::format_err!("unterminated string at {addr:#x}"))?;
    Ok(String::from_utf8_lossy(&tail[..len]).into_owned())
}

/// Current size of linear memory in bytes (it only grows).
pub fn memory_bytes(c: &impl AsContext<Data = EmscriptenState>) -> u64 {
    memory(c).map(|m| m.data_size(c) as u64).unwrap_or(0)
}

/// Gives mutable access to a region of linear memory.
pub fn with_memory_mut<R>(
    c: &mut impl AsContextMut<Data = EmscriptenState>,
    addr: u32,
    len: usize,
    f: impl FnOnce(&mut [u8]) -> R,
) -> Result<R> {
    let m = memory(c)?;
    let data = m.data_mut(&mut *c);
    let region = data
        .get_mut(addr as usize..addr as usize + len)
        .ok_or_else(|| wasmtime::format_err!("region of {len} bytes at {addr:#x} is out of bounds"))?;
    Ok(f(region))
}

pub(super) fn as_i32(v: &Val) -> i32 {
    match v {
        Val::I32(i) => *i,
        Val::I64(i) => *i as i32,
        _ => 0,
    }
}

pub(super) fn as_u32(v: &Val) -> u32 {
    as_i32(v) as u32
}
