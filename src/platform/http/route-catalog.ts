import { Injectable, OnApplicationBootstrap, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ALLOWED_DURING_MFA_ENROLMENT, PUBLIC_ROUTE, REQUIRED_PERMISSION } from '../auth/access.decorators';
import { RolePolicy } from '../auth/role-policy';
import { AUDIT_ACTION } from './http-audit';
import { SKIP_HTTP_AUDIT } from './skip-http-audit.decorator';

type Handler = (...args: unknown[]) => unknown;

export interface RouteEntry {
  method: string;
  path: string;
  /**
   * "public", "permission:<name>" ("+mfa-enrolment" when it still answers while MFA enrolment is pending), or
   * "UNDECLARED" (which the guard denies and the boot check refuses).
   */
  access: string;
  audit: string;
}

/** Every route of the application with who may call it and how it is audited: the permission snapshot's source. */
@Injectable()
export class RouteCatalog implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly policy: RolePolicy,
  ) {}

  /** A route nobody can reach, or one naming a permission the policy lacks, is a mistake: refuse to start. */
  onApplicationBootstrap(): void {
    const broken = this.routes().filter((route) => route.access === 'UNDECLARED' ||
      (route.access.startsWith('permission:') && !this.policy.isPermission(route.access.slice('permission:'.length).replace(/\+.*$/, ''))));
    if (broken.length > 0) {
      throw new Error(`Routes without a valid access declaration: ${broken.map((route) => `${route.method} ${route.path} (${route.access})`).join(', ')}`);
    }
  }

  routes(): RouteEntry[] {
    const routes: RouteEntry[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller || !wrapper.instance) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as Handler;
        const handlerPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (handlerPath === undefined) continue;
        routes.push({
          method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod],
          path: joinPath(Reflect.getMetadata(PATH_METADATA, controller) as string | undefined, handlerPath),
          access: this.accessOf(handler, controller),
          audit: this.auditOf(handler, controller),
        });
      }
    }
    return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }

  private accessOf(handler: Handler, controller: Type): string {
    const targets = [handler, controller];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return 'public';
    const permission = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_PERMISSION, targets);
    if (permission === undefined) return 'UNDECLARED';
    return this.reflector.get<boolean>(ALLOWED_DURING_MFA_ENROLMENT, handler) ? `permission:${permission}+mfa-enrolment` : `permission:${permission}`;
  }

  private auditOf(handler: Handler, controller: Type): string {
    const targets = [handler, controller];
    if (this.reflector.getAllAndOverride<boolean>(SKIP_HTTP_AUDIT, targets)) return 'not audited';
    return this.reflector.getAllAndOverride<string | undefined>(AUDIT_ACTION, targets) ?? 'http.request';
  }
}

function joinPath(prefix: string | undefined, path: string | string[]): string {
  const parts = [prefix ?? '', Array.isArray(path) ? path.join('|') : path].map((part) => part.replace(/^\/+|\/+$/g, '')).filter((part) => part.length > 0);
  return `/${parts.join('/')}`;
}
