//! Descriptive statistics as the reports show them: counts, shares, n / mean / median.

use serde::Serialize;

/// A part of a whole; the percentage is undefined (None) when the whole is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ratio {
    pub part: u32,
    pub whole: u32,
}

impl Ratio {
    pub fn new(part: u32, whole: u32) -> Self {
        Self { part, whole }
    }

    pub fn percent(&self) -> Option<f64> {
        (self.whole > 0).then(|| f64::from(self.part) * 100.0 / f64::from(self.whole))
    }

    /// `22.9%`, or `—` when there is nothing to divide by.
    pub fn percent_label(&self) -> String {
        percent_label(self.percent())
    }
}

pub fn percent_label(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_string(), |p| format!("{p:.1}%"))
}

/// n, mean and median (and the total) of a set of values; mean and median are None for n = 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub total: f64,
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

impl Summary {
    pub fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let total: f64 = v.iter().sum();
        let median = match n {
            0 => None,
            // Even n: the mean of the two middle values.
            _ if n.is_multiple_of(2) => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
            _ => Some(v[n / 2]),
        };
        Self {
            n,
            total,
            mean: (n > 0).then(|| total / n as f64),
            median,
        }
    }
}

/// A number with one decimal for tables, `—` for none.
pub fn one_decimal(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |x| format!("{x:.1}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_and_percent() {
        // Yonago's published figures: 77/336 and 111/336.
        assert_eq!(Ratio::new(77, 336).percent_label(), "22.9%");
        assert_eq!(Ratio::new(111, 336).percent_label(), "33.0%");
        assert_eq!(Ratio::new(0, 0).percent(), None);
        assert_eq!(Ratio::new(0, 0).percent_label(), "—");
    }

    #[test]
    fn median_with_even_and_odd_n() {
        let s = Summary::of(&[40.0, 10.0, 30.0, 20.0]);
        assert_eq!(s.n, 4);
        assert_eq!(s.median, Some(25.0));
        assert_eq!(s.mean, Some(25.0));
        let s = Summary::of(&[90.0, 5.0, 500.0]);
        assert_eq!(s.median, Some(90.0));
        assert_eq!(s.mean, Some(595.0 / 3.0));
        let s = Summary::of(&[]);
        assert_eq!((s.n, s.mean, s.median), (0, None, None));
    }
}
