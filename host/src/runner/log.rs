//! Structured logs: one JSON object per line on stderr, so log shippers can
//! parse them (`{"ts":"...","level":"info","msg":"job completed","docId":"doc_..."}`).

use serde_json::{Map, Value};

pub fn info(msg: &str, fields: &[(&str, Value)]) {
    emit("info", msg, fields)
}

pub fn warn(msg: &str, fields: &[(&str, Value)]) {
    emit("warn", msg, fields)
}

fn emit(level: &str, msg: &str, fields: &[(&str, Value)]) {
    let mut m = Map::new();
    m.insert("ts".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into());
    m.insert("level".into(), level.into());
    m.insert("msg".into(), msg.into());
    for (k, v) in fields {
        m.insert((*k).into(), v.clone());
    }
    eprintln!("{}", Value::Object(m));
}
