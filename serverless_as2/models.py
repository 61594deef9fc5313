"""Tenants own everything; users log in with e-mail and belong to one tenant."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models


class Tenant(models.Model):
    """A customer organisation: every row and stored file belongs to exactly one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by e-mail address."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email: str) -> "User":
        # People type their address in any case; log-in must not depend on it.
        return self.get(email__iexact=email)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with e-mail + password; staff also reach the admin."""

    email = models.EmailField(unique=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        # Stored in lower case whichever form saves it (the admin's included), so two users
        # can never differ only in the case of their address.
        self.email = User.objects.normalize_email(self.email).lower()


class TenantOwned(models.Model):
    """Base for every row that belongs to a tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self._state.adding or not self.tenant_id:
            return
        before = type(self)._default_manager.filter(pk=self.pk).values_list("tenant", flat=True)
        if before.first() not in (None, self.tenant_id):
            # Its related rows and stored files (private/<tenant_id>/…) belong to that tenant.
            raise ValidationError({"tenant": "A record's tenant cannot change after creation."})
