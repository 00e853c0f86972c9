import KVProtocol
