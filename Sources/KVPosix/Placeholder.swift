enum KVPosixPlaceholder {}
