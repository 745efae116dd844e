//! Archive -> Atom / RSS / JSON Feed / archive pages / tag feeds / index.html.
