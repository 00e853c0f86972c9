print("kvserver: not yet implemented")
