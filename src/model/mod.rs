//! The model: a scenario compiled into flat arrays ([`compile`]), with the equations the engine
//! applies every month: the fear spiral ([`fear`]), the decision probabilities ([`hazard`]),
//! war as a process ([`war`]), misperception ([`perception`]), the front that culminates
//! ([`front`]) and settlement by offer and acceptance ([`settlement`]).
//!
//! Nothing here draws a random number or runs a month; that is the [`crate::engine`]'s work.

pub mod compile;
pub mod condition;
pub mod fear;
pub mod front;
pub mod hazard;
pub mod perception;
pub mod prior;
pub mod settlement;
pub mod treaty;
pub mod war;

pub use compile::{
    CompiledEffect, CompiledEvent, DyadIndex, DyadStatus, Model, Provoker, SetSlot, StateWrite,
    EVENT_BLOCK_MONTHS,
};
pub use condition::CompiledCondition;
