"""Expressions: immutable condition, update, key-condition and projection values, and their encoder."""

from .encoder import DebugEncoder, Encoder
from .nodes import (
    And,
    Arith,
    Between,
    Compare,
    Condition,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Not,
    Operand,
    Or,
    Path,
    Size,
    Value,
)
from .updates import Action, AddAction, DeleteAction, RemoveAction, SetAction, Update

__all__ = [
    "Action",
    "AddAction",
    "And",
    "Arith",
    "Between",
    "Compare",
    "Condition",
    "DebugEncoder",
    "DeleteAction",
    "Encoder",
    "Function",
    "IfNotExists",
    "In",
    "ListAppend",
    "Not",
    "Operand",
    "Or",
    "Path",
    "RemoveAction",
    "SetAction",
    "Size",
    "Update",
    "Value",
]
