"""``--teacher`` to teacher objects per language (espeak-ng languages need none)."""

from __future__ import annotations

from collections.abc import Sequence

from polyvox.data.corpus.teacher import Teacher, TeacherError, create_teacher, teachers_named


def teachers_for(languages: Sequence[str], choice: str) -> dict[str, tuple[Teacher, ...]]:
    """The neural teachers of each language ``choice`` gives any to (the corpus's speakers take them in turn),
    each loaded once and checked up front: a missing package or an unspoken language stops before any work."""
    loaded: dict[str, Teacher] = {}
    teachers: dict[str, tuple[Teacher, ...]] = {}
    for language in languages:
        names = teachers_named(language, choice)
        if names == ("espeak",):
            continue
        for name in names:
            if name not in loaded and name != "espeak":
                loaded[name] = create_teacher(name)
            if name != "espeak" and not loaded[name].voices(language):
                raise TeacherError(f"the {name} teacher does not speak {language!r}; use --teacher auto or espeak for it")
        if "espeak" in names:
            raise TeacherError(f"{language}: espeak-ng cannot share a language with a neural teacher")
        teachers[language] = tuple(loaded[name] for name in names)
    return teachers
