//! Sorting through two shared entry points instead of the standard library's
//! generic sorts at each call site.
//!
//! Every `sort_by` or `sort_unstable` call with its own element type or
//! closure gets its own copy of the standard library's sort (quicksort, small
//! sorts, pivot choice: 1 to 9 KB each in the browser module). The functions
//! here are not generic where the sorting happens: [`sort_pairs`] sorts
//! `(u64, u32)` pairs, and [`sort_by`] / [`sort_by_u64`] sort a list of
//! positions and then move the elements, so the whole program holds one copy
//! of each sort.
//!
//! Orders are exactly the standard library's: [`sort_by`] and [`sort_by_u64`]
//! are stable (equal elements keep their order, as `slice::sort_by`), and
//! [`sort_pairs`] sorts by the whole pair, a total order, so stability cannot
//! show.

use std::cmp::Ordering;

/// Sorts the pairs in ascending order (by the first, then the second).
#[inline(never)]
pub fn sort_pairs(v: &mut [(u64, u32)]) {
    v.sort_unstable();
}

/// The positions `0..n` in the stable order `cmp` gives them.
#[inline(never)]
fn positions(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<u32> {
    let mut at: Vec<u32> = (0..n as u32).collect();
    at.sort_by(|&a, &b| cmp(a as usize, b as usize));
    at
}

/// Puts `v[order[k]]` at position `k` for every `k`, following each cycle of
/// the permutation once (`order` is used up as the marks of what is done).
fn permute<T>(v: &mut [T], order: &mut [u32]) {
    for start in 0..order.len() {
        let mut k = start;
        while order[k] as usize != k {
            let next = order[k] as usize;
            order[k] = k as u32;
            if next == start {
                break;
            }
            v.swap(k, next);
            k = next;
        }
    }
}

/// Sorts `v` by `cmp`, stably: the order `slice::sort_by` gives.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    assert!(v.len() <= u32::MAX as usize, "too many elements to sort");
    let mut order = positions(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, &mut order);
}

/// Sorts `v` by a `u64` key, stably: the order `slice::sort_by_key` gives.
/// The keys are computed once each.
pub fn sort_by_u64<T>(v: &mut [T], key: impl Fn(&T) -> u64) {
    assert!(v.len() <= u32::MAX as usize, "too many elements to sort");
    // The position breaks ties, so the pairs' order is the stable one.
    let mut pairs: Vec<(u64, u32)> = v.iter().enumerate().map(|(i, x)| (key(x), i as u32)).collect();
    sort_pairs(&mut pairs);
    let mut order: Vec<u32> = pairs.into_iter().map(|(_, i)| i).collect();
    permute(v, &mut order);
}

/// Sorts in ascending order of the elements' own order (`Ord`), stably.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// A `u64` whose order is `f64::total_cmp`'s.
pub fn total_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: enough randomness for lists to sort.
    struct Rng(u64);
    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    fn random_list(rng: &mut Rng, n: usize, range: u64) -> Vec<(u64, u32)> {
        (0..n).map(|i| (rng.next_u64() % range, i as u32)).collect()
    }

    #[test]
    fn the_same_orders_as_the_standard_sorts() {
        let mut rng = Rng(7);
        for n in [0, 1, 2, 3, 7, 8, 20, 33, 100, 1000, 5000] {
            for range in [1, 2, 5, 1 << 40] {
                // Ties on the key: stability shows in the second field.
                let list = random_list(&mut rng, n, range);
                let mut a = list.clone();
                a.sort_by_key(|p| p.0);
                let mut b = list.clone();
                sort_by(&mut b, |x, y| x.0.cmp(&y.0));
                assert_eq!(a, b, "sort_by, n {n} range {range}");
                let mut c = list.clone();
                sort_by_u64(&mut c, |p| p.0);
                assert_eq!(a, c, "sort_by_u64, n {n} range {range}");
                let mut d = list.clone();
                a.sort_by_key(|p| std::cmp::Reverse(p.0));
                sort_by_u64(&mut d, |p| !p.0);
                assert_eq!(a, d, "reversed, n {n} range {range}");
                let mut e = list.clone();
                e.sort_unstable();
                let mut f = list.clone();
                sort_pairs(&mut f);
                assert_eq!(e, f);
                let mut g: Vec<String> = list.iter().map(|p| format!("{}", p.0 % 17)).collect();
                let mut h = g.clone();
                g.sort();
                sort(&mut h);
                assert_eq!(g, h);
            }
        }
    }

    #[test]
    fn total_key_orders_as_total_cmp() {
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            1e-310,
            -1e-310,
            2.5,
            -2.5,
        ];
        let mut rng = Rng(3);
        xs.extend((0..500).map(|_| f64::from_bits(rng.next_u64())));
        for a in &xs {
            for b in &xs {
                assert_eq!(a.total_cmp(b), total_key(*a).cmp(&total_key(*b)), "{a} {b}");
            }
        }
    }
}
