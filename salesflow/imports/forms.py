"""Forms of 设置 → 导入: the upload, and the column mapping built from the file's headers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salesflow.imports.choices import ImportKind, ImportMode
from salesflow.imports.spec import columns_of


class UploadForm(forms.Form):
    """What is imported, and the workbook."""

    kind = forms.ChoiceField(label=_("导入内容"), choices=ImportKind.choices)
    mode = forms.ChoiceField(
        label=_("导入方式"), choices=ImportMode.choices, initial=ImportMode.CREATE, required=False
    )
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class MappingForm(forms.Form):
    """For every field of the kind, which column of the file holds it (or none)."""

    mode = forms.ChoiceField(label=_("导入方式"), choices=ImportMode.choices, required=False)

    def __init__(
        self,
        *args: Any,
        kind: str,
        headers: list[str],
        initial_mapping: dict[str, int],
        mode: str = ImportMode.CREATE,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["mode"].initial = mode
        choices = [("", "— 不导入 —")] + [(str(i), h or f"第 {i + 1} 列") for i, h in enumerate(headers)]
        for col in columns_of(kind):
            self.fields[col.field] = forms.ChoiceField(
                label=f"{col.header}{' *' if col.required else ''}",
                choices=choices,
                required=False,
                initial=str(initial_mapping[col.field]) if col.field in initial_mapping else "",
            )

    def mapping(self) -> dict[str, int]:
        """field → column index of the chosen columns."""
        return {f: int(v) for f, v in self.cleaned_data.items() if f != "mode" and v not in (None, "")}

    def column_fields(self) -> list[Any]:
        """The bound fields of the columns (the mode is shown apart)."""
        return [self[name] for name in self.fields if name != "mode"]
