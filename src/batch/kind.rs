//! [`StudyKind`]: which study a batch belongs to, the one place where the names of the long
//! commands are written (as they appear in part files, checkpoints and on the command line).

use std::fmt;

/// The long commands: each is a study ([`crate::study`]) run in batches that can be sharded,
/// checkpointed, resumed and merged.
///
/// Serialized by [`StudyKind::name`] (`"run"`, `"score"`, …), which is what the `command` field
/// of part files and checkpoints holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StudyKind {
    /// `jinsong run`: war-onset probabilities of one scenario.
    Run,
    /// `jinsong score`: pattern matches of scenarios.
    Score,
    /// `jinsong calibrate`: a search of free parameters for the best joint match.
    Calibrate,
    /// `jinsong compare`: paired comparison of scenarios.
    Compare,
    /// `jinsong attribute`: Shapley attribution to mechanisms.
    Attribute,
    /// `jinsong sweep`: probabilities over a design of parameter values.
    Sweep,
    /// `jinsong sensitivity`: Sobol indices.
    Sensitivity,
    /// `jinsong evidence`: marginal likelihoods, Bayes factors and posteriors of readings.
    Evidence,
    /// `jinsong robustness`: Bayes factors over a panel of perturbations.
    Robustness,
}

impl StudyKind {
    /// Every kind, in the order of `jinsong --help`.
    pub const ALL: [StudyKind; 9] = [
        StudyKind::Run,
        StudyKind::Score,
        StudyKind::Calibrate,
        StudyKind::Compare,
        StudyKind::Attribute,
        StudyKind::Sweep,
        StudyKind::Sensitivity,
        StudyKind::Evidence,
        StudyKind::Robustness,
    ];

    /// The command's name: `run`, `score`, `calibrate`, `compare`, `attribute`, `sweep`,
    /// `sensitivity`, `evidence`, `robustness`.
    pub fn name(self) -> &'static str {
        match self {
            StudyKind::Run => "run",
            StudyKind::Score => "score",
            StudyKind::Calibrate => "calibrate",
            StudyKind::Compare => "compare",
            StudyKind::Attribute => "attribute",
            StudyKind::Sweep => "sweep",
            StudyKind::Sensitivity => "sensitivity",
            StudyKind::Evidence => "evidence",
            StudyKind::Robustness => "robustness",
        }
    }

    /// The kind called `name`, if any.
    pub fn from_name(name: &str) -> Option<StudyKind> {
        StudyKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What one work item of the batch is, in the plural: `runs` (run, score, compare,
    /// attribute), `points` (sweep) or `evaluations` (sensitivity, calibrate).
    pub fn unit(self) -> &'static str {
        match self {
            StudyKind::Sweep => "points",
            StudyKind::Sensitivity | StudyKind::Calibrate => "evaluations",
            _ => "runs",
        }
    }

    /// The result files it writes into its output folder (besides its charts and, for
    /// `calibrate`, the calibrated variant).
    pub fn result_files(self) -> &'static [&'static str] {
        match self {
            StudyKind::Run => &["summary.json", "onset_curve.csv", "events_by_year.csv"],
            StudyKind::Score => &["scores.json", "scores.csv"],
            StudyKind::Calibrate => &["calibration.csv"],
            StudyKind::Compare => &["compare.json", "compare_curves.csv"],
            StudyKind::Attribute => &["attribution.json"],
            StudyKind::Sweep => &["sweep.csv"],
            StudyKind::Sensitivity => &["sensitivity.json"],
            StudyKind::Evidence => &["evidence.json", "posterior.json", "posterior_sample.csv"],
            StudyKind::Robustness => &["robustness.json", "robustness.csv", "robustness_factors.csv"],
        }
    }

    /// The result files its charts are drawn from (`jinsong plot DIR` recognizes a folder of
    /// this kind by any of them); empty for a study without charts.
    pub fn chart_inputs(self) -> &'static [&'static str] {
        match self {
            StudyKind::Run => &["summary.json", "onset_curve.csv"],
            StudyKind::Score => &["scores.json"],
            StudyKind::Calibrate => &[],
            StudyKind::Compare => &["compare.json", "compare_curves.csv"],
            StudyKind::Attribute => &["attribution.json"],
            StudyKind::Sweep => &["sweep.csv"],
            StudyKind::Sensitivity => &["sensitivity.json"],
            StudyKind::Evidence => &["posterior.json"],
            StudyKind::Robustness => &["robustness.json"],
        }
    }
}

impl fmt::Display for StudyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for StudyKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for StudyKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StudyKind, D::Error> {
        let name = String::deserialize(d)?;
        StudyKind::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = StudyKind::ALL.iter().map(|k| k.name()).collect();
            serde::de::Error::custom(format!(
                "unknown command `{name}` (this version knows {})",
                names.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for k in StudyKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
            assert_eq!(serde_json::from_str::<StudyKind>(&json).unwrap(), k);
        }
        let e = serde_json::from_str::<StudyKind>("\"bayes\"").unwrap_err();
        assert!(e.to_string().contains("unknown command `bayes`"), "{e}");
    }
}
