"""TrackLog filters and the Send File form."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from partnerships.models import ContentType, Partnership
from serverless_as2.models import Tenant
from serverless_as2.pages import row_id
from serverless_as2.tenancy import tenant_queryset
from tracklog.models import Direction, StatusGroup
from tracklog.selectors import MessageFilters, sendable_partnerships

# type/subtype with RFC 2045 token characters, optionally followed by parameters: never CR/LF.
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;[ -~]*)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class IdListField(forms.Field):
    """Message pks carried in the query string (?id=3&id=4) after Send File."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = [row_id(str(item)) for item in values]
        if None in ids:
            raise ValidationError("Message numbers are whole numbers.")
        return ids


class MessageFilterForm(forms.Form):
    q = forms.CharField(
        label="Message ID",
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Full or partial Message-ID"}
        ),
    )
    group = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All statuses"), *StatusGroup.choices]
    )
    direction = forms.ChoiceField(
        label="Direction", required=False, choices=[("", "Both directions"), *Direction.choices]
    )
    partnership = forms.ModelChoiceField(
        label="PartnerShip",
        required=False,
        queryset=Partnership.objects.none(),
        empty_label="All partnerships",
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id = IdListField(required=False)

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = tenant_queryset(
            Partnership, tenant=tenant
        ).select_related("instance", "partner")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the date range is before its start.")
        return cleaned

    def filters(self) -> MessageFilters:
        """The filters whose values are valid; a bad value filters nothing (and is shown)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return MessageFilters(
            search=data.get("q") or "",
            group=data.get("group") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            partnership=data.get("partnership"),
            direction=data.get("direction") or "",
            ids=tuple(data.get("id") or ()),
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more uploaded files, each checked like a FileField (none may be empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError("Choose at least one file to send.", code="required")
        empty = [f.name for f in files if f is not None and f.size == 0]
        if empty:
            raise ValidationError(
                "%(names)s %(verb)s empty: there is nothing to send.",
                params={
                    "names": ", ".join(f"“{name}”" for name in empty),
                    "verb": "is" if len(empty) == 1 else "are",
                },
                code="empty",
            )
        limit = getattr(settings, "MAX_MESSAGE_BYTES", None)
        too_big = [f.name for f in files if f is not None and limit and f.size > limit]
        if too_big:
            raise ValidationError(
                "%(names)s %(verb)s larger than %(limit)s, the largest file this server sends.",
                params={
                    "names": ", ".join(f"“{name}”" for name in too_big),
                    "verb": "is" if len(too_big) == 1 else "are",
                    "limit": filesizeformat(limit),
                },
                code="too_big",
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class SendFileForm(forms.Form):
    partnership = forms.ModelChoiceField(
        label="PartnerShip",
        queryset=Partnership.objects.none(),
        empty_label="Choose a partnership",
        error_messages={
            "required": "Choose the partnership to send through.",
            "invalid_choice": "Choose one of your partnerships whose instance and partner are on.",
        },
    )
    files = MultipleFileField(label="Files")
    content_type = forms.CharField(
        label="Content type",  # as on the PartnerShip form: we add it, the product has none
        required=False,
        max_length=100,
        help_text="Filled in from the partnership; change it for these files only.",
        widget=forms.TextInput(attrs={"list": "content-types"}),
    )
    subject = forms.CharField(
        label="subject",
        required=False,
        max_length=300,
        strip=False,
        help_text="Placeholders: $filename$, $message_id$, $sender$, $receiver$, $date$.",
    )

    content_types = ContentType.values

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = sendable_partnerships(tenant=tenant)

    def clean_content_type(self) -> str:
        value = self.cleaned_data["content_type"].strip()
        if value and not _CONTENT_TYPE.match(value):
            raise ValidationError("Write a content type like application/EDI-X12.")
        return value

    def clean_subject(self) -> str:
        value = self.cleaned_data["subject"]
        if _CONTROL.search(value):
            raise ValidationError("The subject must fit on one line.")
        return value.strip()
