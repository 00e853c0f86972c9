// The C part of CTicks is its header (a static inline function); this file gives the target a source.
