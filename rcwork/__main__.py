from rcwork.cli import main

raise SystemExit(main())
