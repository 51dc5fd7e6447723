//! Typed dense indices of an [`Instance`](super::Instance)'s clients and
//! facilities, and a vector keyed by one of them.
//!
//! A client index and a facility index are both positions in a list; as
//! plain `usize` they are easy to swap by mistake where they cross module
//! boundaries (a solution's assignment, a group's facilities, a hub model's
//! maps to schools). [`ClientIdx`] and [`FacilityIdx`] keep them apart;
//! [`IdxVec`] is a `Vec` indexed by one of them. Solver engines' hot loops
//! keep raw integers inside and convert at their edges.
//!
//! ```
//! use hubplan::problem::{ClientIdx, FacilityIdx, IdxVec};
//!
//! let assignment: IdxVec<ClientIdx, Option<FacilityIdx>> = vec![Some(FacilityIdx::new(1)), None].into();
//! assert_eq!(assignment[ClientIdx::new(0)], Some(FacilityIdx::new(1)));
//! let unserved: Vec<ClientIdx> =
//!     assignment.iter_enumerated().filter(|(_, a)| a.is_none()).map(|(c, _)| c).collect();
//! assert_eq!(unserved, [ClientIdx::new(1)]);
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A dense index type: a position in one kind of list.
pub trait Idx: Copy + Eq + Ord + fmt::Debug {
    /// The index at position `i`.
    fn new(i: usize) -> Self;
    /// Its position, for indexing a slice.
    fn index(self) -> usize;
}

macro_rules! dense_index {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(u32);

        impl $name {
            /// The index at position `i`.
            ///
            /// # Panics
            /// When `i` does not fit in 32 bits.
            #[inline]
            pub fn new(i: usize) -> Self {
                $name(u32::try_from(i).expect(concat!($what, " index beyond u32")))
            }

            /// Its position, for indexing a slice.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl Idx for $name {
            #[inline]
            fn new(i: usize) -> Self {
                $name::new(i)
            }
            #[inline]
            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl From<usize> for $name {
            #[inline]
            fn from(i: usize) -> Self {
                $name::new(i)
            }
        }

        impl From<u32> for $name {
            #[inline]
            fn from(i: u32) -> Self {
                $name(i)
            }
        }

        impl From<$name> for usize {
            #[inline]
            fn from(i: $name) -> usize {
                i.index()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

dense_index!(
    /// Position of a client in [`Instance::clients`](super::Instance::clients).
    ClientIdx,
    "client"
);

dense_index!(
    /// Position of a facility in [`Instance::facilities`](super::Instance::facilities).
    FacilityIdx,
    "facility"
);

/// A vector indexed by a typed index `I` (serialised as the plain list).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent, bound(serialize = "T: serde::Serialize", deserialize = "T: serde::Deserialize<'de>"))]
pub struct IdxVec<I, T> {
    raw: Vec<T>,
    #[serde(skip)]
    _index: PhantomData<fn(&I)>,
}

impl<I: Idx, T> IdxVec<I, T> {
    /// An empty vector.
    pub fn new() -> Self {
        IdxVec { raw: Vec::new(), _index: PhantomData }
    }

    /// `n` copies of `value`.
    pub fn from_elem(value: T, n: usize) -> Self
    where
        T: Clone,
    {
        vec![value; n].into()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Appends `value`, returning its index.
    pub fn push(&mut self, value: T) -> I {
        let i = I::new(self.raw.len());
        self.raw.push(value);
        i
    }

    /// The entry at `i`, if there is one.
    pub fn get(&self, i: I) -> Option<&T> {
        self.raw.get(i.index())
    }

    /// The entries in index order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.raw.iter()
    }

    /// The entries in index order, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.raw.iter_mut()
    }

    /// Each index with its entry, in index order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + ExactSizeIterator {
        self.raw.iter().enumerate().map(|(i, t)| (I::new(i), t))
    }

    /// Every index, in order.
    pub fn indices(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.raw.len()).map(I::new)
    }

    /// The entries as a plain slice (position = index).
    pub fn as_slice(&self) -> &[T] {
        &self.raw
    }

    /// The entries as a plain mutable slice (position = index).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.raw
    }

    /// The entries as a plain vector (position = index).
    pub fn into_raw(self) -> Vec<T> {
        self.raw
    }
}

impl<I: Idx, T> Default for IdxVec<I, T> {
    fn default() -> Self {
        IdxVec::new()
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdxVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

impl<I, T> From<Vec<T>> for IdxVec<I, T> {
    fn from(raw: Vec<T>) -> Self {
        IdxVec { raw, _index: PhantomData }
    }
}

impl<I: Idx, T> FromIterator<T> for IdxVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<I: Idx, T> Index<I> for IdxVec<I, T> {
    type Output = T;
    #[inline]
    fn index(&self, i: I) -> &T {
        &self.raw[i.index()]
    }
}

impl<I: Idx, T> IndexMut<I> for IdxVec<I, T> {
    #[inline]
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.raw[i.index()]
    }
}

impl<'a, I: Idx, T> IntoIterator for &'a IdxVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter()
    }
}

impl<I: Idx, T> IntoIterator for IdxVec<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.raw.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_serialise_as_plain_numbers() {
        let v: IdxVec<ClientIdx, Option<FacilityIdx>> = vec![Some(FacilityIdx::new(3)), None].into();
        assert_eq!(serde_json::to_string(&v).unwrap(), "[3,null]");
        let back: IdxVec<ClientIdx, Option<FacilityIdx>> = serde_json::from_str("[3,null]").unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn typed_vector_indexes_and_enumerates() {
        let mut v: IdxVec<FacilityIdx, f64> = IdxVec::from_elem(0.0, 3);
        v[FacilityIdx::new(2)] = 5.0;
        let k = v.push(7.0);
        assert_eq!(k, FacilityIdx::new(3));
        let got: Vec<(usize, f64)> = v.iter_enumerated().map(|(f, &x)| (f.index(), x)).collect();
        assert_eq!(got, [(0, 0.0), (1, 0.0), (2, 5.0), (3, 7.0)]);
        assert_eq!(v.indices().last(), Some(FacilityIdx::new(3)));
        assert!(ClientIdx::new(1) < ClientIdx::new(2));
        assert_eq!(usize::from(ClientIdx::from(4usize)), 4);
    }
}
