//! Fault injection for tests: which storage and Durable Object calls of the
//! edge fail, and when. The edge consults a [`FaultPlan`] before (or after)
//! each KV, R2 and Durable Object call it makes; a test deployment sets one
//! with the `FAULT_INJECTION` var or the admin API, production never does
//! (the worker refuses to serve with `FAULT_INJECTION` set unless
//! `ALLOW_LOOPBACK_WEBHOOKS` is true, i.e. outside local tests).
//!
//! Points are dotted names: `kv.get`, `kv.put`, `kv.delete`, `r2.get`,
//! `r2.put`, `r2.delete`, and `do.<op>` for a call to a Durable Object
//! (`do.complete`, `do.status`, ...). A rule names a point exactly or a
//! prefix ending in `*` (`kv.*`, `do.*`, `*`).
//!
//! The var's syntax is a comma-separated list of
//! `point=probability[:after][#times]`, e.g.
//! `kv.*=0.05,r2.*=0.05,do.*=0.05` or `kv.put=1#1` (fail the next KV write
//! once). `:after` lets the call happen and then reports it failed, as a
//! timeout after the write landed would; `:delay<ms>` makes the call slow
//! instead of failing it (races that need a wide window).

use serde::{Deserialize, Serialize};

/// When an injected failure strikes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultTiming {
    /// The call is not made; the caller sees an error.
    #[default]
    Before,
    /// The call is made; the caller still sees an error.
    After,
    /// The call is made `delayMs` late and succeeds.
    Delay,
}

/// What happens to one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    FailBefore,
    FailAfter,
    DelayMs(u32),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// A point name, or a prefix ending in `*`.
    pub point: String,
    /// Chance that a matching call fails, 0 to 1.
    pub probability: f64,
    #[serde(default)]
    pub timing: FaultTiming,
    /// Fail at most this many more calls (then the rule is spent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// For `timing: delay`: how late the call is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u32>,
}

impl FaultRule {
    fn matches(&self, point: &str) -> bool {
        match self.point.strip_suffix('*') {
            Some(prefix) => point.starts_with(prefix),
            None => self.point == point,
        }
    }
}

/// The active rules, first match wins; counts what was injected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultPlan {
    pub rules: Vec<FaultRule>,
    /// Failures injected so far (by this isolate).
    #[serde(default)]
    pub injected: u64,
}

impl FaultPlan {
    /// Parses the `FAULT_INJECTION` var (empty or `off`: no rules).
    pub fn parse(spec: &str) -> Result<FaultPlan, String> {
        let spec = spec.trim();
        if spec.is_empty() || spec.eq_ignore_ascii_case("off") {
            return Ok(FaultPlan::default());
        }
        let rules = spec.split(',').map(str::trim).filter(|r| !r.is_empty()).map(parse_rule).collect::<Result<Vec<_>, _>>()?;
        FaultPlan::new(rules)
    }

    /// A plan from typed rules (the admin API), validated.
    pub fn new(rules: Vec<FaultRule>) -> Result<FaultPlan, String> {
        for r in &rules {
            if !(0.0..=1.0).contains(&r.probability) {
                return Err(format!("fault rule {:?}: probability must be between 0 and 1", r.point));
            }
            let name = r.point.strip_suffix('*').unwrap_or(&r.point);
            if name.contains('*') || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_') {
                return Err(format!("fault rule {:?}: a point is a dotted name, optionally ending in *", r.point));
            }
            if (r.timing == FaultTiming::Delay) != r.delay_ms.is_some() || r.delay_ms.is_some_and(|ms| ms > 60_000) {
                return Err(format!("fault rule {:?}: timing delay goes with delayMs (at most 60000), and only it", r.point));
            }
        }
        Ok(FaultPlan { rules, injected: 0 })
    }

    /// Whether the call at `point` fails, and when; `roll` is a uniform
    /// random number in [0, 1).
    pub fn decide(&mut self, point: &str, roll: f64) -> Option<FaultAction> {
        let rule = self.rules.iter_mut().find(|r| r.matches(point) && r.times != Some(0))?;
        if roll >= rule.probability {
            return None;
        }
        if let Some(t) = rule.times.as_mut() {
            *t -= 1;
        }
        self.injected += 1;
        Some(match rule.timing {
            FaultTiming::Before => FaultAction::FailBefore,
            FaultTiming::After => FaultAction::FailAfter,
            FaultTiming::Delay => FaultAction::DelayMs(rule.delay_ms.unwrap_or(0)),
        })
    }
}

fn parse_rule(text: &str) -> Result<FaultRule, String> {
    let bad = || format!("fault rule {text:?}: expected point=probability[:after][#times]");
    let (point, rest) = text.split_once('=').ok_or_else(bad)?;
    let (rest, times) = match rest.split_once('#') {
        Some((r, t)) => (r, Some(t.trim().parse::<u32>().map_err(|_| bad())?)),
        None => (rest, None),
    };
    let (probability, timing, delay_ms) = match rest.split_once(':') {
        Some((p, "after")) => (p, FaultTiming::After, None),
        Some((p, "before")) => (p, FaultTiming::Before, None),
        Some((p, t)) => match t.strip_prefix("delay").map(str::parse::<u32>) {
            Some(Ok(ms)) => (p, FaultTiming::Delay, Some(ms)),
            _ => return Err(bad()),
        },
        None => (rest, FaultTiming::Before, None),
    };
    let probability = probability.trim().parse::<f64>().map_err(|_| bad())?;
    Ok(FaultRule { point: point.trim().to_string(), probability, timing, times, delay_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_var() {
        let p = FaultPlan::parse("kv.*=0.05, do.complete=1:after#2,r2.put=0.5:before,do.record=1:delay300").unwrap();
        assert_eq!(p.rules.len(), 4);
        assert_eq!(
            p.rules[0],
            FaultRule { point: "kv.*".into(), probability: 0.05, timing: FaultTiming::Before, times: None, delay_ms: None }
        );
        assert_eq!((p.rules[3].timing, p.rules[3].delay_ms), (FaultTiming::Delay, Some(300)));
        assert_eq!(p.rules[1].timing, FaultTiming::After);
        assert_eq!(p.rules[1].times, Some(2));
        assert_eq!(FaultPlan::parse("off").unwrap().rules, vec![]);
        assert_eq!(FaultPlan::parse("").unwrap().rules, vec![]);
        for bad in [
            "kv.put",
            "kv.put=2",
            "kv.put=x",
            "kv.put=1:later",
            "kv.put=1#-1",
            "k*v=1",
            "kv put=1",
            "kv.put=1:delay",
            "kv.put=1:delay99999",
        ] {
            assert!(FaultPlan::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn first_matching_rule_decides_and_times_run_out() {
        let mut p = FaultPlan::parse("kv.put=1#2,kv.*=0").unwrap();
        assert_eq!(p.decide("kv.put", 0.99), Some(FaultAction::FailBefore));
        assert_eq!(p.decide("kv.get", 0.0), None, "kv.* at 0 never fails");
        assert_eq!(p.decide("kv.put", 0.5), Some(FaultAction::FailBefore));
        // Spent: the next rule (probability 0) applies.
        assert_eq!(p.decide("kv.put", 0.0), None);
        assert_eq!(p.injected, 2);
        assert_eq!(p.decide("r2.put", 0.0), None, "no rule for r2");
    }

    #[test]
    fn probability_compares_with_the_roll() {
        let mut p = FaultPlan::parse("*=0.25").unwrap();
        assert!(p.decide("do.status", 0.24).is_some());
        assert!(p.decide("do.status", 0.25).is_none());
    }
}
