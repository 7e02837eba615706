//! LATENCY: the latency monitor (Redis's `latency.c`). Once `latency-monitor-threshold`
//! (milliseconds, 0: off) is set, every event that takes at least that long is recorded under
//! its class — `command` for a slow command, `fast-command` for a slow command Redis flags
//! `fast`, `expire-cycle` for a slow slice of active expiry — in a series of the last 160
//! seconds that had one (the worst of a second kept), with each class's all-time worst.
//! LATENCY LATEST, HISTORY, RESET, GRAPH and DOCTOR read the series; LATENCY HISTOGRAM reads the
//! per-command histograms of `command::stats`.

use std::collections::VecDeque;

use indexmap::IndexMap;

use crate::reply::Reply;

/// How many samples a class keeps (Redis's `LATENCY_TS_LEN`).
const SERIES_LEN: usize = 160;

/// The width of LATENCY GRAPH (Redis's `LATENCY_GRAPH_COLS`).
const GRAPH_COLUMNS: usize = 80;

/// One class's samples: (Unix time, milliseconds), oldest first, and its all-time worst.
#[derive(Debug, Default)]
struct Series {
    samples: VecDeque<(i64, u64)>,
    max: u64,
}

/// See the module's documentation.
#[derive(Debug, Default)]
pub(crate) struct LatencyMonitor {
    /// `latency-monitor-threshold`, in milliseconds; 0 turns recording off.
    threshold_ms: u64,
    /// By class, in the order first recorded.
    events: IndexMap<&'static str, Series>,
}

fn unix_now() -> i64 {
    crate::clock::system_micros().div_euclid(1_000_000)
}

impl LatencyMonitor {
    /// CONFIG SET latency-monitor-threshold.
    pub(crate) fn set_threshold(&mut self, ms: u64) {
        self.threshold_ms = ms;
    }

    /// Whether recording is on and `ms` reaches the threshold.
    pub(crate) fn reaches(&self, ms: u64) -> bool {
        self.threshold_ms > 0 && ms >= self.threshold_ms
    }

    /// Records `ms` under `event` if recording is on and it reached the threshold (Redis's
    /// `latencyAddSampleIfNeeded`).
    pub(crate) fn sample(&mut self, event: &'static str, ms: u64) {
        if self.threshold_ms == 0 || ms < self.threshold_ms {
            return;
        }
        let now = unix_now();
        let series = self.events.entry(event).or_default();
        series.max = series.max.max(ms);
        match series.samples.back_mut() {
            Some((time, worst)) if *time == now => *worst = (*worst).max(ms),
            _ => {
                series.samples.push_back((now, ms));
                if series.samples.len() > SERIES_LEN {
                    series.samples.pop_front();
                }
            }
        }
    }

    /// LATENCY LATEST: per class, its latest sample's time and latency and its all-time worst.
    pub(crate) fn latest(&self) -> Reply {
        Reply::Array(
            self.events
                .iter()
                .filter_map(|(event, series)| {
                    let &(time, ms) = series.samples.back()?;
                    Some(Reply::Array(vec![
                        Reply::bulk(*event),
                        Reply::Integer(time),
                        Reply::Integer(ms as i64),
                        Reply::Integer(series.max as i64),
                    ]))
                })
                .collect(),
        )
    }

    /// LATENCY HISTORY event: its samples, oldest first (none for an unknown class).
    pub(crate) fn history(&self, event: &[u8]) -> Reply {
        let samples = self.find(event).map(|series| &series.samples);
        Reply::Array(
            samples
                .into_iter()
                .flatten()
                .map(|&(time, ms)| Reply::Array(vec![Reply::Integer(time), Reply::Integer(ms as i64)]))
                .collect(),
        )
    }

    /// LATENCY RESET [event ...]: forgets the classes named (all without names); answers how
    /// many it forgot.
    pub(crate) fn reset(&mut self, events: &[&[u8]]) -> i64 {
        if events.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count as i64;
        }
        let mut count = 0;
        for event in events {
            let key = self.events.keys().find(|k| k.as_bytes() == *event).copied();
            if let Some(key) = key {
                self.events.shift_remove(key);
                count += 1;
            }
        }
        count
    }

    fn find(&self, event: &[u8]) -> Option<&Series> {
        self.events.iter().find(|(k, _)| k.as_bytes() == event).map(|(_, s)| s)
    }

    /// LATENCY GRAPH event: Redis's ASCII graph of the class's samples, or `None` without any.
    pub(crate) fn graph(&self, event: &[u8]) -> Option<String> {
        let series = self.find(event).filter(|s| !s.samples.is_empty())?;
        let now = unix_now();
        let samples: Vec<(f64, String)> = series
            .samples
            .iter()
            .map(|&(time, ms)| {
                let ago = now - time;
                let label = if ago < 60 {
                    format!("{ago}s")
                } else if ago < 3600 {
                    format!("{}m", ago / 60)
                } else if ago < 86_400 {
                    format!("{}h", ago / 3600)
                } else {
                    format!("{}d", ago / 86_400)
                };
                (ms as f64, label)
            })
            .collect();
        let low = series.samples.iter().map(|s| s.1).min().unwrap_or(0);
        let high = series.samples.iter().map(|s| s.1).max().unwrap_or(0);
        let mut graph = format!(
            "{} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
            String::from_utf8_lossy(event),
            series.max,
            "-".repeat(GRAPH_COLUMNS)
        );
        sparkline(&mut graph, &samples, GRAPH_COLUMNS, 4);
        Some(graph)
    }

    /// LATENCY DOCTOR: Redis's report, for the classes embedis records.
    pub(crate) fn doctor(&self, slowlog_slower_than: i64) -> String {
        if self.events.is_empty() && self.threshold_ms == 0 {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
        }
        let mut report = String::new();
        let (mut slowlog_enabled, mut slowlog_tuning, mut slowlog_inspect) = (false, false, false);
        let (mut scheduler, mut hz, mut large_objects) = (false, false, false);
        let now = unix_now();
        for (number, (event, series)) in self.events.iter().enumerate() {
            if number == 0 {
                report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            }
            // Redis's `analyzeLatencyForEvent`: the average, the mean absolute deviation, and
            // the seconds since the oldest sample, per sample. A class always has a sample.
            let count = series.samples.len() as u64;
            let avg = series
                .samples
                .iter()
                .map(|s| s.1)
                .sum::<u64>()
                .checked_div(count)
                .unwrap_or(0);
            let mad = series
                .samples
                .iter()
                .map(|s| s.1.abs_diff(avg))
                .sum::<u64>()
                .checked_div(count)
                .unwrap_or(0);
            let oldest = series.samples.iter().map(|s| s.0).min().unwrap_or(now);
            let per = (now - oldest).max(1) as f64 / count.max(1) as f64;
            report.push_str(&format!(
                "{}. {event}: {count} latency spikes (average {avg}ms, mean deviation {mad}ms, period {per:.2} sec). Worst all time event {}ms.",
                number + 1,
                series.max
            ));
            match *event {
                "command" => {
                    if slowlog_slower_than < 0 {
                        slowlog_enabled = true;
                    } else if (slowlog_slower_than / 1000) as u64 > self.threshold_ms {
                        slowlog_tuning = true;
                    }
                    slowlog_inspect = true;
                    large_objects = true;
                }
                "fast-command" => scheduler = true,
                "expire-cycle" => {
                    hz = true;
                    large_objects = true;
                }
                _ => {}
            }
            report.push('\n');
        }
        let advices = slowlog_enabled || slowlog_tuning || slowlog_inspect || scheduler || hz || large_objects;
        if self.events.is_empty() {
            report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
            return report;
        }
        if !advices {
            report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
            return report;
        }
        report.push_str("\nI have a few advices for you:\n\n");
        let threshold_us = self.threshold_ms * 1000;
        if slowlog_enabled {
            report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
        }
        if slowlog_tuning {
            report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold_us}'.\n"));
        }
        if slowlog_inspect {
            report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        }
        if scheduler {
            report.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        }
        if hz {
            report.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
        }
        if large_objects {
            report.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        report
    }
}

/// Redis's sparkline (`sparkline.c`, filled, linear scale): `rows` rows of `_o#|` bars over the
/// samples' range, then each sample's label written downwards, `columns` samples a block.
fn sparkline(out: &mut String, samples: &[(f64, String)], columns: usize, rows: usize) {
    const FILL: [u8; 3] = *b"_o#";
    let min = samples.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let max = samples.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let range = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (FILL.len() * rows) as i64;
    let labelled = samples.iter().any(|s| !s.1.is_empty());
    for (block, chunk) in samples.chunks(columns).enumerate() {
        if block != 0 {
            out.push('\n');
        }
        let mut row = 0usize;
        loop {
            let mut line = vec![b' '; chunk.len()];
            let mut more = false;
            for (j, (value, label)) in chunk.iter().enumerate() {
                let step = (((value - min) * steps as f64) / range) as i64;
                let step = step.clamp(0, steps - 1);
                if row < rows {
                    let index = step - ((rows - row - 1) * FILL.len()) as i64;
                    more = true;
                    if (0..FILL.len() as i64).contains(&index) {
                        line[j] = FILL[index as usize];
                    } else if index >= FILL.len() as i64 {
                        line[j] = b'|';
                    }
                } else {
                    // One empty line between the bars and the labels.
                    if labelled && row - rows < 1 {
                        more = true;
                        break;
                    }
                    let at = row - rows - 1;
                    if let Some(&c) = label.as_bytes().get(at) {
                        more = true;
                        line[j] = c;
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&line));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_follow_the_threshold_and_keep_the_worst_of_a_second() {
        let mut monitor = LatencyMonitor::default();
        monitor.sample("command", 500);
        assert_eq!(monitor.latest(), Reply::Array(vec![]), "off until a threshold is set");
        monitor.set_threshold(100);
        monitor.sample("command", 50);
        monitor.sample("command", 300);
        monitor.sample("command", 200);
        let Reply::Array(history) = monitor.history(b"command") else {
            panic!()
        };
        assert_eq!(history.len(), 1, "one sample a second");
        let Reply::Array(sample) = &history[0] else { panic!() };
        assert_eq!(sample[1], Reply::Integer(300));
        assert_eq!(monitor.reset(&[b"nosuch"]), 0);
        assert_eq!(monitor.reset(&[]), 1);
        assert_eq!(monitor.latest(), Reply::Array(vec![]));
    }

    #[test]
    fn the_graph_draws_as_redis_does() {
        let mut out = String::new();
        let samples = vec![
            (10.0, "3s".to_string()),
            (40.0, "2s".to_string()),
            (20.0, "1s".to_string()),
        ];
        sparkline(&mut out, &samples, 80, 4);
        assert_eq!(out, " # \n | \n |o\n_||\n   \n321\nsss\n");
    }
}
