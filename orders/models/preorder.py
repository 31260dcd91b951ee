"""Pre-order documents (DESIGN.md §2 stages 1–2): the inquiry's needs and conversation
notes, quotations with revisions and internal sign-offs, contracts with clauses and a
legal review, and the files attached to an order."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import DocumentLanguage
from inventory.models import QTY_DIGITS, QTY_PLACES
from oms.money import DECIMAL_PLACES, MAX_DIGITS, Currency, PaymentTerms, quantize

from .orders import SalesOrder


def _money(verbose_name: str | object, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def discounted(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return quantize(quantity * unit_price * (Decimal(100) - discount_percent) / Decimal(100))


# --- inquiry: needs and notes -------------------------------------------------------------

class InquiryLine(models.Model):
    """One need the customer expressed: a product, or free text to match to one later."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="needs")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey("inventory.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    requirement = models.CharField(_("requirement"), max_length=500, blank=True,
                                   help_text=_("What the customer asked for, in their words."))
    quantity = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    expectations = models.TextField(_("quality, service and process expectations"), blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="unique_need_line_no_per_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="need_quantity_positive"),
            models.CheckConstraint(condition=Q(product__isnull=False) | ~Q(requirement=""),
                                   name="need_has_product_or_requirement"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"


class OrderNote(models.Model):
    """A dated, signed note from a conversation with the customer. Notes are never edited."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="conversation_notes")
    body = models.TextField(_("note"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conversation note")
        verbose_name_plural = _("conversation notes")
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="order_note_not_empty")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.at:%Y-%m-%d}"


# --- quotations ----------------------------------------------------------------------------

class OperationsSignoff(models.TextChoices):
    ALWAYS = "always", _("Always")
    MAKE_OR_BUY = "make_or_buy", _("When a line is made or bought in")
    NEVER = "never", _("Never")


class QuotationPolicy(models.Model):
    """Which internal sign-offs a quotation needs before it is sent (one row, set in the admin)."""

    finance_required = models.BooleanField(_("finance sign-off required"), default=True)
    operations_required = models.CharField(_("production / purchasing sign-off"), max_length=16,
                                           choices=OperationsSignoff.choices, default=OperationsSignoff.MAKE_OR_BUY)
    manager_discount_threshold = models.DecimalField(
        _("manager sign-off above discount %"), max_digits=5, decimal_places=2, default=Decimal(10),
        help_text=_("A line discount above this percentage also needs a manager's sign-off."))
    minimum_margin_percent = models.DecimalField(
        _("minimum margin %"), max_digits=5, decimal_places=2, default=Decimal(15),
        help_text=_("Finance sees a warning for lines below this margin."))
    default_validity_days = models.PositiveIntegerField(_("validity (days)"), default=30)
    expiry_reminder_days = models.PositiveIntegerField(_("remind the owner days before expiry"), default=3)

    class Meta:
        verbose_name = _("quotation policy")
        verbose_name_plural = _("quotation policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="quotation_policy_single_row"),
            models.CheckConstraint(condition=Q(manager_discount_threshold__gte=0)
                                   & Q(manager_discount_threshold__lte=100),
                                   name="quotation_policy_threshold_0_100"),
        ]

    def __str__(self) -> str:
        return str(_("Quotation policy"))

    @classmethod
    def current(cls) -> QuotationPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class QuotationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In internal review")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")


Q_ = QuotationState
#: A newer revision replaces a quotation in these states (it becomes `superseded`).
SUPERSEDABLE_STATES = [Q_.DRAFT, Q_.IN_REVIEW, Q_.APPROVED, Q_.SENT]
#: A new revision may be started from the latest revision in these states.
REVISABLE_STATES = [Q_.DRAFT, Q_.APPROVED, Q_.SENT, Q_.DECLINED, Q_.EXPIRED]


class Quotation(FSMModelMixin, models.Model):
    """One revision of a quotation. Revisions share a number (Q-2026-000045 rev 2)."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="quotations")
    number = models.CharField(_("number"), max_length=32, editable=False)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1, editable=False)
    state = FSMField(_("state"), max_length=16, choices=QuotationState.choices, default=QuotationState.DRAFT,
                     protected=True, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    payment_terms = models.CharField(_("payment terms"), max_length=16, choices=PaymentTerms.choices)
    lead_time_days = models.PositiveIntegerField(_("delivery lead time (days)"), default=0)
    warranty_terms = models.TextField(_("warranty terms"), blank=True)
    valid_until = models.DateField(_("valid until"))
    notes = models.TextField(_("notes to the customer"), blank=True)
    subtotal = _money(_("subtotal"), default=0)
    discount_amount = _money(_("discount"), default=0)
    total_amount = _money(_("total"), default=0)
    review_round = models.PositiveSmallIntegerField(_("review round"), default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    sent_to = models.EmailField(_("sent to"), blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("customer decision"), null=True, blank=True)
    decision_note = models.TextField(_("customer's answer"), blank=True)
    expiry_reminded_at = models.DateTimeField(_("expiry reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("send_quotation", _("Can send a quotation to the customer")),
            ("signoff_finance", _("Can sign off quotations for finance")),
            ("signoff_operations", _("Can sign off quotations for production / purchasing")),
            ("signoff_manager", _("Can sign off quotations with large discounts")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="unique_quotation_revision"),
            models.UniqueConstraint(fields=["order", "revision"], name="unique_quotation_revision_per_order"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="quotation_revision_from_1"),
            models.CheckConstraint(condition=Q(total_amount__gte=0) & Q(subtotal__gte=0) & Q(discount_amount__gte=0),
                                   name="quotation_amounts_not_negative"),
            models.CheckConstraint(condition=Q(state__in=QuotationState.values), name="quotation_state_known"),
        ]
        indexes = [models.Index(fields=["state", "valid_until"], name="quotation_state_valid_idx")]

    def __str__(self) -> str:
        return f"{self.number} rev {self.revision}"

    @property
    def label(self) -> str:
        return _("%(number)s rev %(revision)s") % {"number": self.number, "revision": self.revision}

    def has_lines(self) -> bool:
        return bool(self.lines.all())

    # --- transitions: each changes only this quotation; services do the rest -------------

    @transition(field=state, source=Q_.DRAFT, target=Q_.IN_REVIEW, conditions=[has_lines])
    def submit_review(self) -> None:
        self.review_round += 1

    @transition(field=state, source=Q_.IN_REVIEW, target=Q_.DRAFT)
    def request_changes(self) -> None:
        pass

    @transition(field=state, source=Q_.IN_REVIEW, target=Q_.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=Q_.APPROVED, target=Q_.SENT)
    def send(self) -> None:
        pass

    @transition(field=state, source=Q_.SENT, target=Q_.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=Q_.SENT, target=Q_.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=state, source=[Q_.APPROVED, Q_.SENT], target=Q_.EXPIRED)
    def expire(self) -> None:
        pass

    @transition(field=state, source=SUPERSEDABLE_STATES, target=Q_.SUPERSEDED)
    def supersede(self) -> None:
        pass


class QuotationLine(models.Model):
    quotation = models.ForeignKey(Quotation, verbose_name=_("quotation"), on_delete=models.CASCADE,
                                  related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey("inventory.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+")
    description = models.CharField(_("description"), max_length=250, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    unit_price = _money(_("unit price"))
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=0)
    unit_cost = _money(_("unit cost"), default=0, help_text=_("The product's standard cost when quoted."))

    class Meta:
        verbose_name = _("quotation line")
        verbose_name_plural = _("quotation lines")
        ordering = ["quotation_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["quotation", "line_no"], name="unique_line_no_per_quotation"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quotation_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0) & Q(unit_cost__gte=0),
                                   name="quotation_line_prices_not_negative"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                                   name="quotation_line_discount_within_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.quotation_id}/{self.line_no}"

    @property
    def gross_total(self) -> Decimal:
        return quantize(self.quantity * self.unit_price)

    @property
    def line_total(self) -> Decimal:
        return discounted(self.quantity, self.unit_price, self.discount_percent)

    @property
    def net_unit_price(self) -> Decimal:
        return self.unit_price * (Decimal(100) - self.discount_percent) / Decimal(100)

    @property
    def margin_percent(self) -> Decimal | None:
        """Margin of the discounted price over the standard cost; None when the price is 0."""
        net = self.net_unit_price
        if net <= 0:
            return None
        return ((net - self.unit_cost) / net * 100).quantize(Decimal("0.1"))


class SignoffArea(models.TextChoices):
    FINANCE = "finance", _("Finance")
    OPERATIONS = "operations", _("Production / purchasing")
    MANAGER = "manager", _("Manager")


#: The permission each sign-off area needs.
SIGNOFF_PERMISSIONS = {
    SignoffArea.FINANCE: "orders.signoff_finance",
    SignoffArea.OPERATIONS: "orders.signoff_operations",
    SignoffArea.MANAGER: "orders.signoff_manager",
}


class SignoffDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class QuotationSignoff(models.Model):
    """One required internal sign-off of one review round of a quotation."""

    quotation = models.ForeignKey(Quotation, verbose_name=_("quotation"), on_delete=models.CASCADE,
                                  related_name="signoffs")
    round = models.PositiveSmallIntegerField(_("review round"))
    area = models.CharField(_("area"), max_length=16, choices=SignoffArea.choices)
    decision = models.CharField(_("decision"), max_length=20, choices=SignoffDecision.choices,
                                default=SignoffDecision.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("quotation sign-off")
        verbose_name_plural = _("quotation sign-offs")
        ordering = ["quotation_id", "round", "area"]
        constraints = [
            models.UniqueConstraint(fields=["quotation", "round", "area"], name="unique_signoff_per_round_area"),
            models.CheckConstraint(condition=Q(decision="pending") | Q(decided_at__isnull=False),
                                   name="signoff_decided_has_time"),
            models.CheckConstraint(condition=~Q(decision="changes_requested") | ~Q(comment=""),
                                   name="signoff_changes_need_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.quotation_id} r{self.round} {self.area}: {self.decision}"


# --- contracts -------------------------------------------------------------------------------

class ContractTemplate(models.Model):
    """Standard clauses a new contract starts from, one default per language."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=DocumentLanguage.choices)
    is_default = models.BooleanField(_("default for its language"), default=False)

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        ordering = ["language", "name"]
        constraints = [
            models.UniqueConstraint(fields=["language"], condition=Q(is_default=True),
                                    name="one_default_contract_template_per_language"),
        ]

    def __str__(self) -> str:
        return self.name


class ContractTemplateClause(models.Model):
    template = models.ForeignKey(ContractTemplate, verbose_name=_("template"), on_delete=models.CASCADE,
                                 related_name="clauses")
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_(
        "May use {{customer}}, {{currency}}, {{total}}, {{payment_terms}}, {{lead_time_days}}, "
        "{{delivery_date}}, {{warranty_terms}} and {{quotation}}."))

    class Meta:
        verbose_name = _("template clause")
        verbose_name_plural = _("template clauses")
        ordering = ["template_id", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "position"], name="unique_template_clause_pos")]

    def __str__(self) -> str:
        return self.title


class ContractState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In legal review")
    APPROVED = "approved", _("Approved for signing")
    SIGNED = "signed", _("Signed")
    CANCELLED = "cancelled", _("Cancelled")


C_ = ContractState


class Contract(FSMModelMixin, models.Model):
    """The agreed terms of an accepted quotation, reviewed by legal / a senior, then signed."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="contracts")
    quotation = models.ForeignKey(Quotation, verbose_name=_("quotation"), on_delete=models.PROTECT,
                                  related_name="contracts")
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    state = FSMField(_("state"), max_length=16, choices=ContractState.choices, default=ContractState.DRAFT,
                     protected=True, db_index=True)
    language = models.CharField(_("language"), max_length=8, choices=DocumentLanguage.choices)
    delivery_date = models.DateField(_("agreed delivery date"))
    review_comment = models.TextField(_("review comment"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    signed_copy = models.ForeignKey("orders.Attachment", verbose_name=_("signed copy"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_contract", _("Can review contracts (legal / senior)")),
            ("sign_contract", _("Can record a signed contract")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=~Q(state="cancelled"),
                                    name="one_live_contract_per_order"),
            models.CheckConstraint(condition=~Q(state="signed") | (Q(signed_on__isnull=False)
                                                                    & Q(signed_copy__isnull=False)),
                                   name="signed_contract_has_date_and_copy"),
            models.CheckConstraint(condition=Q(state__in=ContractState.values), name="contract_state_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @transition(field=state, source=C_.DRAFT, target=C_.IN_REVIEW)
    def submit_review(self) -> None:
        self.review_comment = ""

    @transition(field=state, source=C_.IN_REVIEW, target=C_.DRAFT)
    def return_for_changes(self) -> None:
        pass

    @transition(field=state, source=C_.IN_REVIEW, target=C_.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=C_.APPROVED, target=C_.SIGNED)
    def sign(self) -> None:
        pass

    @transition(field=state, source=[C_.DRAFT, C_.IN_REVIEW, C_.APPROVED], target=C_.CANCELLED)
    def cancel(self) -> None:
        pass


class ContractClause(models.Model):
    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.CASCADE,
                                 related_name="clauses")
    position = models.PositiveSmallIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("contract clause")
        verbose_name_plural = _("contract clauses")
        ordering = ["contract_id", "position"]
        constraints = [models.UniqueConstraint(fields=["contract", "position"], name="unique_contract_clause_pos")]

    def __str__(self) -> str:
        return self.title


# --- attachments ---------------------------------------------------------------------------

class AttachmentKind(models.TextChoices):
    QUOTATION_PDF = "quotation_pdf", _("Quotation (PDF)")
    CONTRACT_PDF = "contract_pdf", _("Contract (PDF)")
    SIGNED_CONTRACT = "signed_contract", _("Signed contract")
    ORDER_DOCUMENT = "order_document", _("Order document (scan)")
    CONFIRMATION = "confirmation", _("Written confirmation")
    DELIVERY_NOTE = "delivery_note", _("Delivery note")
    PACKING_LIST = "packing_list", _("Packing list")
    CONFORMITY = "conformity", _("Certificate of conformity")
    COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
    POD_SIGNATURE = "pod_signature", _("Signature (proof of delivery)")
    POD_PHOTO = "pod_photo", _("Photo (proof of delivery)")
    OTHER = "other", _("Other")


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user: the original name is kept in a field.
    return f"attachments/{instance.order_id}/{instance.sha256[:16]}-{instance.kind}{instance.extension}"


class Attachment(models.Model):
    """A file on an order: generated documents and uploaded scans. Served only through
    a view that checks the viewer may see the order."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    quotation = models.ForeignKey(Quotation, verbose_name=_("quotation"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="attachments")
    contract = models.ForeignKey(Contract, verbose_name=_("contract"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="attachments")
    shipment = models.ForeignKey("logistics.Shipment", verbose_name=_("shipment"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("at"), auto_now_add=True)

    EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "")
