from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.money import DECIMAL_PLACES, MAX_DIGITS, Currency, PaymentTerms


class DocumentLanguage(models.TextChoices):
    """The languages documents are produced in (settings.LANGUAGES, as stored values)."""

    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class CustomerTier(models.TextChoices):
    A = "A", _("A (key account)")
    B = "B", _("B (regular)")
    C = "C", _("C (occasional)")


class Customer(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    tier = models.CharField(_("tier"), max_length=1, choices=CustomerTier.choices, default=CustomerTier.B)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                       default=0, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    payment_terms = models.CharField(_("payment terms"), max_length=16, choices=PaymentTerms.choices,
                                     default=PaymentTerms.NET30)
    prepayment_required = models.BooleanField(_("prepayment required"), default=False)
    first_paid_on = models.DateField(
        _("first payment received"), null=True, blank=True,
        help_text=_("Empty for a new customer without payment history: such customers pay in advance."))
    language = models.CharField(_("document language"), max_length=8, choices=DocumentLanguage.choices,
                                default=DocumentLanguage.ZH_HANS,
                                help_text=_("Quotations, contracts and e-mails to this customer use this language."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="customers")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        permissions = [
            ("view_all_customers", _("Can see every customer, not only their own")),
            ("view_credit", _("Can see credit limits and exposure")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customer_credit_limit_not_negative"),
            models.CheckConstraint(condition=~Q(code=""), name="customer_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Contact(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="contacts")
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(_("position"), max_length=80, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(is_primary=True),
                                    name="one_primary_contact_per_customer"),
        ]

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="addresses")
    label = models.CharField(_("label"), max_length=80, blank=True)
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("province / state"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    is_default_shipping = models.BooleanField(_("default delivery address"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default_shipping", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(is_default_shipping=True),
                                    name="one_default_shipping_address_per_customer"),
        ]

    def __str__(self) -> str:
        parts = [self.line1, self.line2, self.city, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)
