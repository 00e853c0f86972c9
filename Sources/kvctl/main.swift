import Glibc
import KVCtlCore

exit(KVCtlMain.main())
