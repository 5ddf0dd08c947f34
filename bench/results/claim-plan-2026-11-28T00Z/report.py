import sys
t=[float(x) for x in open(sys.argv[1])]
c=t[0:40]; print('claims sum %.1f max %.1f first %.1f last %.1f'%(sum(c),max(c),c[0],c[-1]))
p=t[40:]; up=p[0::2]; cl=p[1::2]; print('complete sum %.1f; empty claims sum %.1f max %.1f'%(sum(up),sum(cl),max(cl)))
